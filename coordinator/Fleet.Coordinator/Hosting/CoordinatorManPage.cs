using Fleet.CommandDocs;

namespace Fleet.Coordinator.Hosting;

/// <summary>What fleet-coordinator(1) and its completion scripts say beyond its command tree (`fleet-coordinator man`; the package installs the page).</summary>
internal static class CoordinatorManPage
{
    public static readonly ManPageInfo Info = new("fleet-coordinator", "the Fleet coordinator")
    {
        Notes =
        [
            "Installed from the package it runs as the systemd service fleet-coordinator.service, as the user fleet-coordinator, from /usr/lib/fleet-coordinator/fleet-coordinator with --data-dir /var/lib/fleet-coordinator and --socket /run/fleet/control.sock; " +
            "further options go in FLEET_COORDINATOR_OPTS in /etc/default/fleet-coordinator (add --tls-san NAME for every name agents use to reach this host).",
            "On its first start it creates the Fleet CA (its key mode 0600) in the data folder. Agents enroll with a join token (fleetctl token create) and connect with mutual TLS; operators use fleetctl over the control socket (root and the fleet group), or over --control-listen with an admin certificate (fleetctl admin-cert create).",
        ],
        ExitStatus = "0 stopped normally; 1 it could not start (the database, the CA, a listener); 2 usage error (a bad option value, named on stderr).",
        Files =
        [
            ("/var/lib/fleet-coordinator", "The data folder: the SQLite database fleet.db (nodes, tokens stored hashed, certificates issued, catalog versions, rollouts and their logs), the CA and a stored kubeconfig."),
            ("/run/fleet/control.sock", "The control socket fleetctl uses (root and the fleet group)."),
            ("/etc/default/fleet-coordinator", "FLEET_COORDINATOR_OPTS: the service's options."),
        ],
        SeeAlso = ["fleetctl(1)", "fleet-agent(1)", "systemctl(1)", "journalctl(1)"],
        SeeAlsoNote = "docs/security.md in the Fleet sources.",
        FileOptions = ["--data-dir", "--socket", "--kubeconfig"],
    };
}

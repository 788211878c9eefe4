using Fleet.CommandDocs;

namespace Fleet.Ctl.Docs;

/// <summary>What fleetctl(1) and its completion scripts say beyond its command tree.</summary>
internal static class FleetctlManPage
{
    public static readonly ManPageInfo Info = new("fleetctl", "drive a Fleet coordinator")
    {
        ExitStatus = "0 success; 1 the command failed; 2 usage error; 130 rollout logs -f stopped by Ctrl-C.",
        Environment =
        [
            ("FLEET_SOCKET", "The control socket, when --socket is not given."),
            ("FLEET_SERVER", "https://HOST:PORT of the TCP control listener, when --server is not given; with FLEET_CERT, FLEET_KEY and FLEET_CA."),
            ("NO_COLOR", "When set, tables are never coloured."),
        ],
        Files =
        [
            ("/run/fleet/control.sock", "The coordinator's control socket (root and the fleet group)."),
            ("~/.config/fleet/config", "Defaults for socket, server, cert, key and ca (key: value lines)."),
            ("/etc/default/fleet-coordinator", "Options of the coordinator service."),
        ],
        SeeAlso = ["fleet-coordinator(1)", "fleet-agent(1)"],
        SeeAlsoNote = "docs/output.md, docs/rollouts.md and docs/catalog.md in the Fleet sources.",
        FileOptions = ["-f", "--filename", "--kubeconfig", "--out", "--cert", "--key", "--ca", "--socket"],
    };
}

using Fleet.Agent.Configuration;
using Fleet.CommandDocs;

namespace Fleet.Agent.Hosting;

/// <summary>What fleet-agent(1) and its completion scripts say beyond its command tree (`fleet-agent man`; the package installs the page).</summary>
internal static class AgentManPage
{
    public static readonly ManPageInfo Info = new("fleet-agent", "Fleet node agent")
    {
        Notes =
        [
            "Installed from the package it runs as the systemd service fleet-agent.service (Type=notify, with a watchdog) and talks to the coordinator over gRPC with mutual TLS only.",
            "fleet-agent enroll joins the coordinator once: it checks the coordinator's CA against the pin, sends the join token and a certificate request for a key made on the node, and stores the key, the certificate and the CA in the state folder (/var/lib/fleet-agent). " +
            "The token comes from a file that only root can read (--token-file), standard input (--token -), FLEET_TOKEN or the settings file; a token given on the command line works, with a warning: every local user can read it there. " +
            "A token in the settings file is removed from it once the node is enrolled. Start the service afterwards: systemctl start fleet-agent",
        ],
        ExitStatus = "0 stopped normally or enrolled; 1 enrollment failed or an unexpected error (the service is restarted); 2 a command line that does not parse, bad settings, or not enrolled; " +
            $"{AgentExit.IdentityRefusedCode} the coordinator refuses this node's certificate for good (the node was removed or its certificate revoked): enroll again with a new token. " +
            "fleet-agent.service does not restart on 2 or 77 (RestartPreventExitStatus).",
        Environment = [.. AgentConfigLoader.EnvironmentHelp.Select(e => (e.Variable, $"As {e.Flag}; a flag wins over it, it wins over the settings file."))],
        Files =
        [
            ("/etc/fleet/agent.json", "Settings (JSON with comments), mode 0600: a file that holds a join token and may be read by others is refused. FLEET_* environment variables and flags override them."),
            ("/var/lib/fleet-agent", "The node's key, certificate and CA, stored as one set in credentials/N/ (node.key, node.crt and ca.crt link to the current set; a renewal writes a new set and then moves the pointer credentials/current), and steps.journal: the finished steps, and every file a step replaced (rollout, path, previous and new sha256 and version) or restored."),
            ("DIR/.fleet-previous/NAME", "The previous version of every file a step replaced (a download, each CNI plugin), kept beside it on the same file system: one generation, the first replace within a rollout. A restore-previous step renames it back after checking its sha256 against the journal."),
        ],
        SeeAlso = ["fleetctl(1)", "fleet-coordinator(1)", "systemctl(1)", "journalctl(1)"],
        FileOptions = ["--config", "--token-file", "--root", "--state-dir", "--systemctl-path", "--kubeadm-path"],
    };
}

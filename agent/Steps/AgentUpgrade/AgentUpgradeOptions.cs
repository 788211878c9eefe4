using Fleet.Agent.Facts;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// Settings of the agent's self-upgrade (<see cref="UpgradeAgentStepHandler"/>). The defaults are the
/// packaged ones; tests point them at a watchdog script of the checkout and at doubles of the dpkg tools.
/// systemd-run and systemctl are operator settings (<see cref="Configuration.AgentOptions.SystemdRunPath"/>,
/// <see cref="Configuration.AgentOptions.SystemctlPath"/>).
/// </summary>
public sealed class AgentUpgradeOptions
{
    /// <summary>The packaged watchdog (packaging/debian/fleet-agent/fleet-agent-upgrade), copied into the state folder before each upgrade.</summary>
    public string WatchdogScript { get; set; } = "/usr/lib/fleet-agent/fleet-agent-upgrade";

    /// <summary>dpkg-query, asked whether this agent was installed from the fleet-agent package.</summary>
    public string DpkgQueryPath { get; set; } = "dpkg-query";

    /// <summary>dpkg-deb, which reads a package's control fields.</summary>
    public string DpkgDebPath { get; set; } = "dpkg-deb";

    /// <summary>The version this agent runs, as it reports it (NodeFacts.agent_version, without "+build").</summary>
    public string RunningVersion { get; set; } = FactsCollector.AgentVersion;

    /// <summary>The running program (<see cref="AgentInstall.RunningProgram"/>), whose place says how the agent is installed.</summary>
    public string ProgramPath { get; set; } = AgentInstall.RunningProgram();

    /// <summary>How often a waiting step looks for the watchdog's outcome.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Limit of one run of dpkg-query or systemctl (they answer at once, or something is wrong).</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

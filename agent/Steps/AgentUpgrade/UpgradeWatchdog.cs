using System.ComponentModel;
using System.Globalization;
using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// The local upgrade watchdog as a systemd unit: the transient fleet-agent-upgrade.service, started
/// with systemd-run so it runs outside fleet-agent.service (dpkg restarting or killing the agent
/// does not stop it), and asked about with systemctl.
/// </summary>
public sealed class UpgradeWatchdog(AgentOptions agentOptions, AgentUpgradeOptions options, StepProcess process, IProcessRunner runner, UpgradeFolder folder)
{
    public const string Unit = "fleet-agent-upgrade.service";

    /// <summary>Beyond its deadline, how long the watchdog may take (two dpkg runs) before systemd stops it.</summary>
    private static readonly TimeSpan DpkgAllowance = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The unit's state as `systemctl is-active` says it ("active", "inactive", "failed", ...); throws
    /// <see cref="StepFailedException"/> when systemctl cannot answer.
    /// </summary>
    public async Task<string> StateAsync(CancellationToken ct)
    {
        var systemctl = ProgramPath.Find(agentOptions.SystemctlPath)
            ?? throw new StepFailedException($"cannot ask systemd about {Unit}: {ProgramPath.Describe(agentOptions.SystemctlPath)} (set it with --systemctl-path)");
        try
        {
            var result = await runner.RunAsync(systemctl, ["is-active", Unit], options.QueryTimeout, ct);
            var state = result.StandardOutput.Trim();
            return state.Length > 0 && state.All(c => char.IsAsciiLetterLower(c) || c == '-')
                ? state
                : throw new StepFailedException($"cannot ask systemd about {Unit}: systemctl is-active exited with code {result.ExitCode}: {result.StandardError.Trim()}");
        }
        catch (Exception ex) when (ex is TimeoutException or Win32Exception)
        {
            throw new StepFailedException($"cannot ask systemd about {Unit}: {ex.Message}");
        }
    }

    /// <summary>Whether the state is one of a unit that runs or is about to.</summary>
    public static bool IsRunning(string state) => state is "active" or "activating" or "deactivating" or "reloading";

    /// <summary>Starts the watchdog on the copy of its script in the state folder (<see cref="UpgradeFolder.WatchdogCopy"/>).</summary>
    public async Task StartAsync(PendingUpgrade pending, StepProgress progress, CancellationToken ct)
    {
        var limit = (int)(TimeSpan.FromSeconds(pending.DeadlineSeconds) + DpkgAllowance).TotalSeconds;
        string[] arguments =
        [
            $"--unit={Unit}",
            "--collect",
            "--quiet",
            $"--description=fleet-agent upgrade {pending.From} to {pending.To} (step {pending.Step})",
            $"--property=RuntimeMaxSec={limit.ToString(CultureInfo.InvariantCulture)}",
            "/bin/sh",
            folder.WatchdogCopy,
            folder.StateDir,
        ];
        await process.RunAsync(new ProgramCommand(agentOptions.SystemdRunPath, "--systemd-run-path", "systemd-run", arguments, SecretScrubber.None), progress, ct);
    }
}

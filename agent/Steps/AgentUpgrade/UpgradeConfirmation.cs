using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// The new agent's word to the watchdog: once the coordinator has accepted this agent's Hello (so it
/// started, connected and reported its version), and an upgrade to this agent's version is pending,
/// STATE_DIR/agent-upgrade/confirmed gets this version, durably. The watchdog waits for exactly that;
/// an agent of any other version writes nothing, and the watchdog rolls back at its deadline.
/// </summary>
public sealed class UpgradeConfirmation(UpgradeFolder folder, AgentUpgradeOptions options, ILogger<UpgradeConfirmation> logger)
{
    /// <summary>True when this call or an earlier one confirmed the pending upgrade. Never throws: a session must not fail on it.</summary>
    public bool ConfirmIfPending()
    {
        try
        {
            if (folder.ReadPending() is not { } pending || pending.To != options.RunningVersion)
            {
                return false;
            }

            if (folder.ReadConfirmed() != options.RunningVersion)
            {
                folder.WriteConfirmed(options.RunningVersion);
                AgentUpgradeLog.Confirmed(logger, options.RunningVersion, folder.ConfirmedFile);
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            AgentUpgradeLog.ConfirmFailed(logger, ex.Message);
            return false;
        }
    }
}

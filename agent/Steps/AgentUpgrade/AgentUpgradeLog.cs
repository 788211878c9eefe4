using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>The self-upgrade's log events (160-169).</summary>
internal static partial class AgentUpgradeLog
{
    [LoggerMessage(EventId = 160, Level = LogLevel.Information, Message = "Confirmed the upgrade to fleet-agent {Version} for the watchdog ({File})")]
    public static partial void Confirmed(ILogger logger, string version, string file);

    [LoggerMessage(EventId = 161, Level = LogLevel.Warning, Message = "Cannot confirm the agent upgrade: {Reason}; the watchdog rolls back at its deadline")]
    public static partial void ConfirmFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 162, Level = LogLevel.Information, Message = "Step {StepId}: the upgrade watchdog {Unit} started for fleet-agent {From} to {To} (deadline {DeadlineSeconds} s)")]
    public static partial void WatchdogStarted(ILogger logger, string stepId, string unit, string from, string to, int deadlineSeconds);

    [LoggerMessage(EventId = 163, Level = LogLevel.Warning, Message = "Ignoring the upgrade outcome of step {OtherStepId} (fleet-agent {From} to {To}, {Result}) for step {StepId}: removed")]
    public static partial void StaleOutcome(ILogger logger, string otherStepId, string from, string to, string result, string stepId);
}

namespace Fleet.Coordinator.Rollouts.Gates;

internal static partial class GateLog
{
    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "Rollout {RolloutId}: gate {Gate} failed, pausing: {Reason}")]
    public static partial void GateFailed(ILogger logger, string rolloutId, string gate, string reason);
}

namespace Fleet.V1;

/// <summary>Lower-case names of rollout, node and step states, as stored and shown.</summary>
public static class RolloutNames
{
    public static string ToName(this RolloutState state) => state switch
    {
        RolloutState.Running => "running",
        RolloutState.Paused => "paused",
        RolloutState.Aborting => "aborting",
        RolloutState.Succeeded => "succeeded",
        RolloutState.Failed => "failed",
        RolloutState.Aborted => "aborted",
        _ => "planned",
    };

    public static string ToName(this RolloutNodeState state) => state switch
    {
        RolloutNodeState.Pending => "pending",
        RolloutNodeState.Running => "running",
        RolloutNodeState.Succeeded => "succeeded",
        RolloutNodeState.Failed => "failed",
        RolloutNodeState.Skipped => "skipped",
        RolloutNodeState.RolledBack => "rolled-back",
        _ => "unknown",
    };

    public static string ToName(this RolloutStepState state) => state switch
    {
        RolloutStepState.Pending => "pending",
        RolloutStepState.Running => "running",
        RolloutStepState.Succeeded => "succeeded",
        RolloutStepState.Failed => "failed",
        RolloutStepState.Cancelled => "cancelled",
        _ => "unknown",
    };

    public static bool IsFinished(this RolloutState state) => state is RolloutState.Succeeded or RolloutState.Failed or RolloutState.Aborted;

    public static bool IsFinished(this RolloutNodeState state) => state is RolloutNodeState.Succeeded or RolloutNodeState.Failed or RolloutNodeState.Skipped or RolloutNodeState.RolledBack;

    public static RolloutState ParseRolloutState(string name) => Enum.GetValues<RolloutState>().First(s => s.ToName() == name);

    public static RolloutNodeState ParseNodeState(string name) => Enum.GetValues<RolloutNodeState>().First(s => s.ToName() == name);

    public static RolloutStepState ParseStepState(string name) => Enum.GetValues<RolloutStepState>().First(s => s.ToName() == name);
}

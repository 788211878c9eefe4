using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// What <see cref="RolloutTransitions"/> tells its listeners after it has stored a change (persist, then publish):
/// the rollout's state, a node's, a step's, or an announcement of something that is not a stored state (the
/// rollout started, a batch ended, a gate failed, a node waits for a maintenance window).
/// </summary>
public abstract record RolloutChange(RolloutRun Run, DateTimeOffset At);

public sealed record RolloutStateChanged(RolloutRun Run, DateTimeOffset At, RolloutState From, RolloutState To, string Reason) : RolloutChange(Run, At);

public sealed record RolloutNodeChanged(RolloutRun Run, DateTimeOffset At, string Node, RolloutNodeState From, RolloutNodeState To, string Error) : RolloutChange(Run, At);

public sealed record RolloutStepChanged(RolloutRun Run, DateTimeOffset At, string Node, int Index, string Kind, RolloutStepState From, RolloutStepState To) : RolloutChange(Run, At);

/// <param name="Node">the node it is about, or empty</param>
/// <param name="Batch">the batch it is about (BatchDone), or 0</param>
public sealed record RolloutAnnounced(RolloutRun Run, DateTimeOffset At, RolloutAnnouncement What, string Message, string Node, int Batch) : RolloutChange(Run, At);

/// <summary>Events of a rollout that are not a state of its own (the states are <see cref="RolloutStateChanged"/> and its kin).</summary>
public enum RolloutAnnouncement
{
    /// <summary>Applied: the driver starts it.</summary>
    Started,

    /// <summary>Every node of a batch finished (succeeded or failed).</summary>
    BatchDone,

    /// <summary>A gate between batches failed (strategy.gates); the rollout pauses with the gate's reason.</summary>
    GateFailed,

    /// <summary>No node starts until a maintenance window opens (strategy.windows).</summary>
    WindowWait,
}

/// <summary>
/// Told of every change after it is stored. Called on the rollout's own path: a listener must return at once
/// and never throw (it queues, counts or drops; it never waits on the network).
/// </summary>
public interface IRolloutListener
{
    void OnChange(RolloutChange change);
}

using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// Rollouts, their nodes, steps and logs. SQLite today; the interface leaves room for PostgreSQL. Only
/// <see cref="RolloutTransitions"/> changes a rollout once it exists: it writes here first, then publishes.
/// </summary>
public interface IRolloutStore
{
    /// <summary>Stores a rollout that passed preflight, running, every node and step pending; returns its id (r1, r2, ...).</summary>
    Task<string> CreateAsync(PreparedRollout prepared, string nonce, DateTimeOffset now, CancellationToken ct);

    /// <summary>The rollout's state and reason; a finished state also records <paramref name="now"/> as its end.</summary>
    Task SetRolloutAsync(string id, RolloutState state, string reason, DateTimeOffset now, CancellationToken ct);

    /// <summary>A node's state, <paramref name="failure"/> (what failed, or empty) and whether Fleet cordoned it.</summary>
    Task SetNodeAsync(string id, string node, RolloutNodeState state, string failure, bool cordoned, CancellationToken ct);

    Task SetStepAsync(string id, string node, int index, RolloutStepState state, string reason, CancellationToken ct);

    /// <summary>A failed step to run again (on resume): pending, under a new step id, so the agent runs it
    /// rather than answering the old failure from its journal.</summary>
    Task RetryStepAsync(string id, string node, int index, CancellationToken ct);

    Task AppendLogAsync(string id, RolloutLogLine line, CancellationToken ct);

    /// <summary>The rollout's log lines in order (of one node when <paramref name="node"/> is given), read as they are consumed.</summary>
    IAsyncEnumerable<RolloutLogLine> LogsAsync(string id, string? node, CancellationToken ct);

    /// <summary>The log lines after the line <paramref name="afterSeq"/> (0: from the first), in order, each with its sequence number: a follower's cursor.</summary>
    IAsyncEnumerable<(long Seq, RolloutLogLine Line)> LogsAfterAsync(string id, string? node, long afterSeq, CancellationToken ct);

    /// <summary>Rollouts newest first, without node details.</summary>
    Task<List<Rollout>> ListAsync(CancellationToken ct);

    /// <summary>Ids of the rollouts not finished yet (running, paused, aborting), oldest first.</summary>
    Task<List<string>> ActiveIdsAsync(CancellationToken ct);

    /// <summary>Node name → the unfinished rollout that holds it.</summary>
    Task<Dictionary<string, string>> HoldsAsync(CancellationToken ct);

    /// <summary>The rollout with its nodes and steps as stored, or null.</summary>
    Task<StoredRollout?> GetAsync(string id, CancellationToken ct);
}

using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// The one owner of a rollout's state once it exists: every change (the rollout's state, a node's, a step's,
/// a node cordoned or uncordoned by Fleet, a failed node set to retry, a log line) is written to the store
/// first and published to the rollout's watchers after, so a watcher never sees what a restart would lose.
/// The driver and the engine change state only through this class. Progress (bytes of a download) and the
/// current batch are derived, not stored: they are published only. Listeners (<see cref="IRolloutListener"/>:
/// metrics, webhooks) are told of each change after it is stored and published.
/// </summary>
public sealed class RolloutTransitions(IRolloutStore store, TimeProvider time, IEnumerable<IRolloutListener>? listeners = null)
{
    private readonly IRolloutListener[] _listeners = [.. listeners ?? []];

    public async Task SetStateAsync(RolloutRun run, RolloutState state, string reason, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var from = run.Read(v => v.State);
        await store.SetRolloutAsync(run.Id, state, reason, now, ct);
        run.Change(v =>
        {
            v.State = state;
            v.Reason = reason;
            v.FinishedAt = state.IsFinished() ? Timestamp.FromDateTimeOffset(now) : null;
        });
        Tell(new RolloutStateChanged(run, now, from, state, reason));
    }

    public async Task SetNodeAsync(RolloutRun run, string node, RolloutNodeState state, string error, CancellationToken ct)
    {
        var (cordoned, from) = run.Read(v => (run.Node(v, node).CordonedByFleet, run.Node(v, node).State));
        await store.SetNodeAsync(run.Id, node, state, error, cordoned, ct);
        run.Change(v =>
        {
            var n = run.Node(v, node);
            n.State = state;
            n.Error = error;
            n.BytesDone = 0;
            n.BytesTotal = 0;
        });
        Tell(new RolloutNodeChanged(run, time.GetUtcNow(), node, from, state, error));
    }

    /// <summary>
    /// An event that is not a stored state (webhooks and metrics hear of it; nothing is written): the caller logs
    /// its own line with <see cref="LogAsync"/>. Gates call it with <see cref="RolloutAnnouncement.GateFailed"/>,
    /// maintenance windows with <see cref="RolloutAnnouncement.WindowWait"/>.
    /// </summary>
    public Task AnnounceAsync(RolloutRun run, RolloutAnnouncement what, string message, CancellationToken ct, string node = "", int batch = 0)
    {
        ct.ThrowIfCancellationRequested();
        Tell(new RolloutAnnounced(run, time.GetUtcNow(), what, message, node, batch));
        return Task.CompletedTask;
    }

    /// <summary>After a batch's nodes ran: announces <see cref="RolloutAnnouncement.BatchDone"/> when every node of it
    /// finished (succeeded or failed); a batch cut short by a pause or an abort is not done.</summary>
    public Task BatchEndedAsync(RolloutRun run, Batch batch, CancellationToken ct)
    {
        var states = run.Read(v => batch.Nodes.Select(n => run.Node(v, n).State).ToList());
        if (!states.All(s => s is RolloutNodeState.Succeeded or RolloutNodeState.Failed or RolloutNodeState.RolledBack))
        {
            return Task.CompletedTask;
        }

        var failed = states.Count(s => s is RolloutNodeState.Failed or RolloutNodeState.RolledBack); // rolled back: failed, then put back
        var message = $"batch {batch.Number} of {run.Batches.Count} done: {states.Count - failed} succeeded, {failed} failed";
        return AnnounceAsync(run, RolloutAnnouncement.BatchDone, message, ct, batch: batch.Number);
    }

    private void Tell(RolloutChange change)
    {
        foreach (var listener in _listeners)
        {
            listener.OnChange(change);
        }
    }

    /// <summary>Fleet cordoned (true) or uncordoned (false) the node: remembered so a failure or abort uncordons it.</summary>
    public async Task SetCordonedAsync(RolloutRun run, string node, bool cordoned, CancellationToken ct)
    {
        var (state, error) = run.Read(v => (run.Node(v, node).State, run.Node(v, node).Error));
        await store.SetNodeAsync(run.Id, node, state, error, cordoned, ct);
        run.Change(v => run.Node(v, node).CordonedByFleet = cordoned);
    }

    public async Task SetStepAsync(RolloutRun run, string node, int index, RolloutStepState state, string reason, CancellationToken ct)
    {
        var (from, kind) = run.Read(v => (run.Node(v, node).Steps[index].State, run.Node(v, node).Steps[index].Kind));
        await store.SetStepAsync(run.Id, node, index, state, reason, ct);
        run.Change(v =>
        {
            var n = run.Node(v, node);
            n.Steps[index].State = state;
            n.Steps[index].Reason = reason;
            n.BytesDone = 0;
            n.BytesTotal = 0;
        });
        Tell(new RolloutStepChanged(run, time.GetUtcNow(), node, index, kind, from, state));
    }

    /// <summary>A failed node goes back to pending; its failed step (if any) becomes pending under a new step id,
    /// so its agent runs it again instead of answering the old failure from its journal. Steps that succeeded
    /// stay succeeded and never run again.</summary>
    public async Task RetryNodeAsync(RolloutRun run, string node, CancellationToken ct)
    {
        var failed = run.Read(v => run.Node(v, node).Steps.FirstOrDefault(s => !s.OnFailure && s.State == RolloutStepState.Failed)?.Index);
        if (failed is { } index)
        {
            await store.RetryStepAsync(run.Id, node, index, ct);
        }

        // A rollback tail that ran (and failed) starts over if the node fails again: each of its steps pending, under a new id.
        var tail = run.Read(v => run.Node(v, node).Steps.Where(s => s.OnFailure && s.State != RolloutStepState.Pending).Select(s => s.Index).ToList());
        foreach (var i in tail)
        {
            await store.RetryStepAsync(run.Id, node, i, ct);
        }

        var cordoned = run.Read(v => run.Node(v, node).CordonedByFleet);
        await store.SetNodeAsync(run.Id, node, RolloutNodeState.Pending, "", cordoned, ct);
        run.Change(v =>
        {
            var n = run.Node(v, node);
            n.State = RolloutNodeState.Pending;
            n.Error = "";
            foreach (var i in tail.Prepend(failed ?? -1).Where(i => i >= 0))
            {
                var step = n.Steps[i];
                step.State = RolloutStepState.Pending;
                step.Reason = "";
                step.StepId = step.StepId.Length == 0 ? "" : StepIds.Retry(step.StepId);
            }
        });
    }

    /// <summary>A log line of the rollout (<paramref name="node"/> empty) or of one node, which also becomes that node's last line.</summary>
    public async Task LogAsync(RolloutRun run, string node, string level, string message, CancellationToken ct)
    {
        var line = new RolloutLogLine { At = Timestamp.FromDateTimeOffset(time.GetUtcNow()), Node = node, Level = level, Message = message };
        await store.AppendLogAsync(run.Id, line, ct);
        if (node.Length > 0)
        {
            run.Change(v => run.Node(v, node).LastLog = message);
        }

        run.Publish(line);
    }

    /// <summary>Bytes of the node's running step so far (published only: a restart starts the count again).</summary>
    public static void Progress(RolloutRun run, string node, long done, long total) => run.Change(v =>
    {
        var n = run.Node(v, node);
        n.BytesDone = done;
        n.BytesTotal = total;
    });

    /// <summary>The batch in progress (published only: it follows from the nodes' stored states).</summary>
    public static void SetCurrentBatch(RolloutRun run, int batch) => run.Change(v =>
    {
        v.CurrentBatch = batch;
        v.CurrentPhase = RolloutPhases.Of(run.Batches, batch);
    });
}

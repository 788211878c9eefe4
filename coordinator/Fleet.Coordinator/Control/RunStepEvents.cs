using Fleet.Coordinator.Rollouts;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

/// <summary>
/// A run's live rollout events as `fleetctl run`'s stream: the plan (from the first snapshot, with the rollout
/// id), an update when a node's state or bytes change and for each of its log lines, and one result per node.
/// A watcher may lose old events (<see cref="RolloutRun.Watch"/>), never the newest snapshot, so results are
/// derived from snapshots, whichever shows a node finished first, and the last one covers every node.
/// </summary>
public sealed class RunStepEvents
{
    private readonly Dictionary<string, Seen> _nodes = new(StringComparer.Ordinal);

    private sealed class Seen(string stepId)
    {
        public string StepId { get; } = stepId;

        public StepState State { get; set; }

        public long Done { get; set; }

        public long Total { get; set; }

        public bool Finished { get; set; }
    }

    public static async Task StreamAsync(RolloutRun run, IServerStreamWriter<RunStepEvent> stream, CancellationToken ct)
    {
        var events = new RunStepEvents();
        Rollout? last = null;
        await foreach (var e in run.Watch(ct).ReadAllAsync(ct))
        {
            if (e.Snapshot is { } snapshot)
            {
                if (last is null)
                {
                    await stream.WriteAsync(events.Plan(snapshot), ct);
                }

                last = snapshot;
                foreach (var update in events.OnSnapshot(snapshot))
                {
                    await stream.WriteAsync(update, ct);
                }

                if (Ended(snapshot))
                {
                    return;
                }
            }
            else if (e.Log is { } line)
            {
                foreach (var update in events.OnLog(line))
                {
                    await stream.WriteAsync(update, ct);
                }
            }
        }

        // The watch ended without a final snapshot in hand (it was already over when it began): the run's own.
        var final = run.Snapshot();
        if (last is null)
        {
            await stream.WriteAsync(events.Plan(final), ct);
        }

        foreach (var update in events.OnSnapshot(final))
        {
            await stream.WriteAsync(update, ct);
        }
    }

    /// <summary>Finished, or paused by an operator (`fleetctl rollout pause`): the run's stream ends there.</summary>
    public static bool Ended(Rollout snapshot) => snapshot.State.IsFinished() || snapshot.State == RolloutState.Paused;

    public RunStepEvent Plan(Rollout snapshot)
    {
        var plan = new RunPlan { RolloutId = snapshot.Id, SkippedDisconnected = { snapshot.SkippedDisconnected } };
        foreach (var node in snapshot.Nodes)
        {
            var step = node.Steps.Single();
            _nodes[node.Name] = new Seen(step.StepId);
            plan.Steps.Add(new PlannedStep { Node = node.Name, Arch = node.Arch, StepId = step.StepId, Url = step.Url, Sha256 = step.Sha256 });
        }

        return new RunStepEvent { Plan = plan };
    }

    public IEnumerable<RunStepEvent> OnSnapshot(Rollout snapshot)
    {
        foreach (var node in snapshot.Nodes)
        {
            if (!_nodes.TryGetValue(node.Name, out var seen) || seen.Finished)
            {
                continue;
            }

            if (node.State.IsFinished())
            {
                seen.Finished = true;
                yield return new RunStepEvent { Result = new NodeStepResult { Node = node.Name, Result = Result(seen, node) } };
                continue;
            }

            var state = node.BytesDone > 0 || node.BytesTotal > 0 ? StepState.Downloading : node.State == RolloutNodeState.Running ? StepState.Running : StepState.Unspecified;
            if (state != StepState.Unspecified && (state, node.BytesDone, node.BytesTotal) != (seen.State, seen.Done, seen.Total))
            {
                (seen.State, seen.Done, seen.Total) = (state, node.BytesDone, node.BytesTotal);
                yield return Update(node.Name, seen);
            }
        }
    }

    public IEnumerable<RunStepEvent> OnLog(RolloutLogLine line)
    {
        if (line.Node.Length == 0 || !_nodes.TryGetValue(line.Node, out var seen) || seen.Finished)
        {
            yield break;
        }

        if (seen.State == StepState.Unspecified)
        {
            seen.State = StepState.Running;
        }

        var update = Update(line.Node, seen);
        update.Update.Update.LogLines.Add(line.Message);
        yield return update;
    }

    private static RunStepEvent Update(string node, Seen seen) => new()
    {
        Update = new NodeStepUpdate { Node = node, Update = new StepUpdate { Id = seen.StepId, State = seen.State, BytesDone = seen.Done, BytesTotal = seen.Total } },
    };

    private static StepResult Result(Seen seen, RolloutNode node)
    {
        var step = node.Steps.Single();
        if (node.State == RolloutNodeState.Skipped)
        {
            return new StepResult { Id = seen.StepId, Outcome = StepOutcome.Failed, Reason = "not started: the run stopped first" };
        }

        var result = StepOutcomeText.ToResult(seen.StepId, step.State, step.Reason);
        if (node.State == RolloutNodeState.Failed && result.Outcome != StepOutcome.Failed)
        {
            result.Outcome = StepOutcome.Failed; // the node failed after its step (an uncordon, say)
            result.Reason = node.Error;
        }
        else if (result.Outcome == StepOutcome.Failed && result.Reason.Length == 0)
        {
            result.Reason = node.Error.Length > 0 ? node.Error : "failed without a reason";
        }

        return result;
    }
}

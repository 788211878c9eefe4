using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>The driver's part of phases (<see cref="RolloutPhases"/>): a phase starts only when the previous one finished on every node.</summary>
public sealed partial class RolloutDriver
{
    /// <summary>Before a batch: when it is the first of a later phase and some node has not finished the earlier phases
    /// (it failed below the failure threshold), the rollout stops here, as the failure threshold would stop it (pause,
    /// or end as failed with onFailure: abort); otherwise the start of a new phase is logged. True: stopped.</summary>
    private async Task<bool> StopBeforePhaseAsync(RolloutRun run, Batch batch, CancellationToken stopping)
    {
        var phases = run.Batches.Max(b => b.Phase);
        if (phases <= 1 || run.Batches.First(b => b.Phase == batch.Phase).Number != batch.Number)
        {
            return false;
        }

        var behind = run.Read(v => RolloutPhases.Behind(v, batch.Phase).Select(n => n.State == RolloutNodeState.Failed ? $"{n.Name} (failed: {n.Error})" : $"{n.Name} ({n.State.ToName()})").ToList());
        var name = $"phase {batch.Phase} of {phases} ({batch.Version})";
        if (behind.Count == 0)
        {
            await LogAsync(run, "", "info", $"{name}: every node finished phase {batch.Phase - 1}; starting", stopping);
            return false;
        }

        var reason = $"{name} cannot start: phase {batch.Phase - 1} did not finish on {string.Join(", ", behind)}";
        if (run.Plan.Strategy.OnFailure == OnFailure.Abort)
        {
            await FinishAbortAsync(run, RolloutState.Failed, reason, stopping);
        }
        else
        {
            await SetStateAsync(run, RolloutState.Paused, $"{reason}; fix it, then `fleetctl rollout resume {run.Id}` (failed nodes retry from their failed step) or `abort`", stopping);
        }

        return true;
    }

    /// <summary>After a node's steps of <paramref name="phase"/>: true when a later phase remains (the node stays running).</summary>
    private async Task<bool> MorePhasesAsync(RolloutRun run, string name, int phase, CancellationToken stopping)
    {
        var last = run.Read(v => RolloutPhases.Last(run.Node(v, name)));
        if (phase >= last)
        {
            return false;
        }

        await LogAsync(run, name, "info", $"phase {phase} of {last} done; phase {phase + 1} starts when phase {phase} has finished on every node", stopping);
        return true;
    }
}

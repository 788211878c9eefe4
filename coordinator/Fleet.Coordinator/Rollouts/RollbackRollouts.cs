using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>`fleetctl rollout rollback ID [--dry-run]`: the rollback's plan (<see cref="RollbackPlanner"/>) through the same
/// preflight and store as `rollout apply`, or shown as `rollout plan` shows a plan.</summary>
public sealed class RollbackRollouts(RollbackPlanner planner, RolloutEngine engine)
{
    /// <summary>The new rollout (or its plan on a dry run) and the refused nodes; null for an unknown id; problems when preflight refuses it.
    /// <see cref="RolloutStateException"/> when the original cannot be rolled back.</summary>
    public async Task<(Rollout? View, IReadOnlyList<string> Refused, List<string> Problems)?> RollbackAsync(string id, bool dryRun, CancellationToken ct)
    {
        if (await planner.PlanAsync(id, ct) is not { } rollback)
        {
            return null;
        }

        if (dryRun)
        {
            var (plan, planProblems) = await engine.PlanAsync(rollback.Plan, ct);
            return (plan, rollback.Refused, planProblems);
        }

        var (run, problems) = await engine.ApplyAsync(rollback.Plan, ct);
        if (run is not null && rollback.Refused.Count > 0)
        {
            await engine.LogAsync(run, "warn", $"rollback of {id}: left out: {string.Join("; ", rollback.Refused)}", ct);
        }

        return (run?.Snapshot(), rollback.Refused, problems);
    }
}

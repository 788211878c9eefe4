using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// The driver's part of strategy.onNodeFailure: rollback (<see cref="RollbackTail"/>): a worker that fails after one of
/// its replace steps succeeded runs its tail (restore, daemon-reload, restart kubelet, wait healthy, wait Ready at its
/// from-version, uncordon) and ends rolled-back; a failing tail ends it failed with both reasons. Every tail step is a
/// stored step like any other, so a coordinator restarted mid-tail resumes the tail where it stopped (a re-sent step is
/// answered from the agent's journal; nothing runs twice). An abort does not cut a tail short: the node is put back first.
/// </summary>
public sealed partial class RolloutDriver
{
    /// <summary>After the node's step failed with <paramref name="error"/>: false when no rollback applies (no tail, or no
    /// replace step succeeded yet), else runs the tail and records the node rolled-back or failed.</summary>
    private async Task<bool> RollBackIfReplacedAsync(RolloutRun run, string name, string error, IStepObserver observer, CancellationToken stopping)
    {
        var stored = run.Nodes[name];
        if (!run.Read(v => RollbackTail.Applies(stored.Steps, run.Node(v, name))))
        {
            return false;
        }

        var from = run.Read(v => run.Node(v, name).FromVersion);
        var back = from.Length > 0 ? from : "its previous files";
        RollbackLog.RollingBack(logger, run.Id, name, error);
        await LogAsync(run, name, "warn", $"rolling back (strategy.onNodeFailure: rollback) after a replace: {error}; restoring what this rollout replaced, back to {back}", stopping);
        for (var i = 0; i < stored.Steps.Count; i++)
        {
            var step = stored.Steps[i];
            if (!step.OnFailure || run.Read(v => run.Node(v, name).Steps[i].State) == RolloutStepState.Succeeded)
            {
                continue; // a restarted coordinator resumes the tail after its last finished step
            }

            var label = $"step {i + 1}/{stored.Steps.Count} (on failure) {step.Description}";
            await SetStepAsync(run, name, i, RolloutStepState.Running, "", stopping);
            await LogAsync(run, name, "info", $"{label}: started", stopping);
            var stepId = run.Read(v => run.Node(v, name).Steps[i].StepId);
            // Not cancelled by an abort: a node half put back is worse than one put back (docs/rollouts.md#undoing-an-upgrade).
            var outcome = await executor.RunAsync(run.Id, stepId, stored.NodeId, stored.KubeNode, $"rollout {run.Id}, node {name} (rollback)", step, observer, CancellationToken.None, stopping);
            if (outcome.Succeeded)
            {
                await SetStepAsync(run, name, i, RolloutStepState.Succeeded, outcome.Reason, stopping);
                await LogAsync(run, name, "info", $"{label}: succeeded{(outcome.Reason.Length > 0 ? $" ({outcome.Reason})" : "")}", stopping);
                continue;
            }

            await SetStepAsync(run, name, i, RolloutStepState.Failed, outcome.Reason, stopping);
            await LogAsync(run, name, "error", $"{label}: failed: {outcome.Reason}", stopping);
            var both = $"{error}; the rollback failed too: step {i + 1} ({step.Description}): {outcome.Reason}";
            RollbackLog.RollbackFailed(logger, run.Id, name, both);
            await SetNodeAsync(run, name, RolloutNodeState.Failed, both, stopping);
            if (!run.Plan.Strategy.KeepCordoned)
            {
                await UncordonIfFleetCordonedAsync(run, name, stopping);
            }

            return true;
        }

        RollbackLog.RolledBack(logger, run.Id, name, back);
        await SetNodeAsync(run, name, RolloutNodeState.RolledBack, $"{error}; rolled back to {back}", stopping);
        return true;
    }

    /// <summary>The node failed and its tail had begun (or was about to) when the coordinator stopped: the failure it rolls back from, else null.</summary>
    private static string? InterruptedRollback(RolloutRun run, string name) => run.Read(v =>
    {
        var node = run.Node(v, name);
        var failed = node.Steps.FirstOrDefault(s => !s.OnFailure && s.State == RolloutStepState.Failed);
        return failed is null || node.State.IsFinished() || !RollbackTail.Applies(run.Nodes[name].Steps, node)
            ? null
            : $"step {failed.Index + 1} ({failed.Description}): {failed.Reason}";
    });

    /// <summary>For the pause at the failure threshold: rolled-back nodes are finished, so a resume does not retry them and they keep counting.</summary>
    private static string RolledBackHint(RolloutRun run) =>
        run.Read(v => v.Nodes.Any(n => n.State == RolloutNodeState.RolledBack))
            ? "; rolled-back nodes are finished: a resume does not retry them and they keep counting toward the threshold (to go on without them, abort and apply a plan that excludes them)"
            : "";

    /// <summary>Failed and rolled-back nodes: both count toward the failure threshold.</summary>
    private static bool IsFailure(RolloutNodeState state) => state is RolloutNodeState.Failed or RolloutNodeState.RolledBack;
}

/// <summary>Log events of the automatic rollback (1500-1509).</summary>
internal static partial class RollbackLog
{
    [LoggerMessage(EventId = 1500, Level = LogLevel.Warning, Message = "Rollout {RolloutId}, node {Node}: failed after a replace ({Failure}); rolling back")]
    public static partial void RollingBack(ILogger logger, string rolloutId, string node, string failure);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Rollout {RolloutId}, node {Node}: rolled back to {Version}")]
    public static partial void RolledBack(ILogger logger, string rolloutId, string node, string version);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Error, Message = "Rollout {RolloutId}, node {Node}: the rollback failed: {Failure}")]
    public static partial void RollbackFailed(ILogger logger, string rolloutId, string node, string failure);
}

using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Rollouts.Gates;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// Drives one rollout from wherever its stored state says it is: batch after batch, each node's steps in
/// order, each transition written to SQLite before the next action. A step that was running when the
/// coordinator died is sent again with the same id (the agent answers from its journal); Kubernetes steps
/// are idempotent. On a node's failure, and on abort or failure of the rollout, Fleet uncordons what it
/// cordoned unless the plan says keepCordoned. Every change of state goes through <see cref="RolloutTransitions"/>.
/// </summary>
public sealed partial class RolloutDriver(StepExecutor executor, RolloutTransitions transitions, IKubernetesClusterProvider kubernetes, GateChecker gates, TimeProvider time, ILogger<RolloutDriver> logger)
{
    private readonly Windows.MaintenanceWindowWaiter _windows = new(transitions, time);

    public async Task DriveAsync(RolloutRun run, CancellationToken stopping)
    {
        try
        {
            if (run.Read(v => v.State) == RolloutState.Aborting || run.AbortToken.IsCancellationRequested)
            {
                await FinishAbortAsync(run, RolloutState.Aborted, "aborted by the operator", stopping);
                return;
            }

            await RunBatchesAsync(run, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The coordinator is stopping: the stored state is where the next start resumes.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CoordinatorLog.RolloutCrashed(logger, run.Id, ex);
            await FinishAbortAsync(run, RolloutState.Failed, $"internal error: {ex.Message}", stopping);
        }
        finally
        {
            if (run.Read(v => v.State) != RolloutState.Running)
            {
                run.EndWatches();
            }
        }
    }

    private async Task RunBatchesAsync(RolloutRun run, CancellationToken stopping)
    {
        var strategy = run.Plan.Strategy;
        var threshold = strategy.FailureThreshold.Of(run.Nodes.Count);
        var ranBatch = false;
        foreach (var batch in run.Batches)
        {
            var todo = batch.Nodes.Where(n => run.Read(v => RolloutPhases.NeedsRun(run.Node(v, n), batch.Phase))).ToList();
            if (todo.Count == 0)
            {
                continue;
            }

            if (ranBatch && strategy.PauseBetweenBatches > TimeSpan.Zero)
            {
                await WaitBetweenBatchesAsync(run, strategy.PauseBetweenBatches, batch.Number, stopping);
            }

            if (await StopBeforeAsync(run, threshold, stopping) || !await GatesHoldAsync(run, threshold, stopping) || await StopBeforePhaseAsync(run, batch, stopping))
            {
                return;
            }

            RolloutTransitions.SetCurrentBatch(run, batch.Number);
            await LogAsync(run, "", "info", $"batch {batch.Number} of {run.Batches.Count}: {string.Join(", ", batch.Nodes)}", stopping);
            using (var slots = new SemaphoreSlim(batch.Parallelism))
            {
                var tasks = new List<Task>();
                foreach (var node in todo)
                {
                    await slots.WaitAsync(stopping);
                    await _windows.WaitAsync(run, node, batch.Phase, () => Failures(run) >= threshold, stopping); // strategy.windows: no node starts outside them
                    if (run.AbortToken.IsCancellationRequested || run.PauseRequested || Failures(run) >= threshold)
                    {
                        slots.Release();
                        break; // start no new node; the ones running finish (or are cancelled by the abort)
                    }

                    tasks.Add(RunInSlotAsync(run, node, batch.Phase, slots, stopping));
                }

                await Task.WhenAll(tasks);
            }

            stopping.ThrowIfCancellationRequested();
            await transitions.BatchEndedAsync(run, batch, stopping);
            ranBatch = true;
            if (await StopBeforeAsync(run, threshold, stopping))
            {
                return;
            }
        }

        var failed = run.Read(v => v.Nodes.Where(n => IsFailure(n.State)).Select(n => n.Name).ToList());
        if (failed.Count == 0 && !await GatesHoldAsync(run, threshold, stopping))
        {
            return; // a rollout succeeds only when its gates hold at the end
        }

        if (failed.Count > 0)
        {
            await SetStateAsync(run, RolloutState.Failed, $"finished; {failed.Count} of {run.Nodes.Count} node(s) failed: {string.Join(", ", failed)}", stopping);
        }
        else
        {
            await SetStateAsync(run, RolloutState.Succeeded, $"all {run.Nodes.Count} node(s) succeeded", stopping);
        }
    }

    /// <summary>The strategy's wait before a batch. An abort or the operator's pause ends it at once (the check after it
    /// stops the rollout there; a resume goes on with the next batch without waiting again).</summary>
    private async Task WaitBetweenBatchesAsync(RolloutRun run, TimeSpan wait, int batch, CancellationToken stopping)
    {
        using var linked = run.Interruptible(stopping);
        var delay = Task.Delay(wait, time, linked.Token); // the timer runs from here, before the log line says so
        await LogAsync(run, "", "info", $"waiting {Seconds(wait)} before batch {batch}", stopping);
        try
        {
            await delay;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            // Aborted or paused: the check that follows stops the rollout.
        }
    }

    /// <summary>strategy.gates (Gates/GateChecker): false when the rollout stopped there, paused by a failed gate, or by
    /// an abort or the operator's pause that ended the check. A pause request taken back meanwhile checks again: a gate is never skipped.</summary>
    private async Task<bool> GatesHoldAsync(RolloutRun run, int threshold, CancellationToken stopping)
    {
        while (true)
        {
            var verdict = await gates.CheckAsync(run, stopping);
            if (verdict != GateVerdict.Interrupted)
            {
                return verdict == GateVerdict.Held;
            }

            if (await StopBeforeAsync(run, threshold, stopping))
            {
                return false;
            }
        }
    }

    private static string Seconds(TimeSpan wait) => $"{wait.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s";

    /// <summary>Between batches: abort, the failure threshold, or the operator's pause stop the rollout here.</summary>
    private async Task<bool> StopBeforeAsync(RolloutRun run, int threshold, CancellationToken stopping)
    {
        if (run.AbortToken.IsCancellationRequested)
        {
            await FinishAbortAsync(run, RolloutState.Aborted, "aborted by the operator", stopping);
            return true;
        }

        var failures = Failures(run);
        if (failures >= threshold)
        {
            var failed = run.Read(v => string.Join(", ", v.Nodes.Where(n => IsFailure(n.State)).Select(n => $"{n.Name}: {n.Error}")));
            var reason = $"failure threshold reached ({failures} of {run.Nodes.Count} node(s) failed, threshold {run.Plan.Strategy.FailureThreshold}): {failed}";
            if (run.Plan.Strategy.OnFailure == OnFailure.Abort)
            {
                await FinishAbortAsync(run, RolloutState.Failed, reason, stopping);
            }
            else
            {
                await SetStateAsync(run, RolloutState.Paused, $"{reason}; fix it, then `fleetctl rollout resume {run.Id}` (failed nodes retry from their failed step) or `abort`{RolledBackHint(run)}", stopping);
            }

            return true;
        }

        if (run.PauseRequested)
        {
            await SetStateAsync(run, RolloutState.Paused, "paused by the operator", stopping);
            return true;
        }

        return false;
    }

    private async Task RunInSlotAsync(RolloutRun run, string node, int phase, SemaphoreSlim slots, CancellationToken stopping)
    {
        try
        {
            await RunNodeAsync(run, node, phase, stopping);
        }
        finally
        {
            slots.Release();
        }
    }

    private static int Failures(RolloutRun run) => run.Read(v => v.Nodes.Count(n => IsFailure(n.State)));

    /// <summary>The node's steps of <paramref name="phase"/> (all of them for a one-phase rollout).</summary>
    private async Task RunNodeAsync(RolloutRun run, string name, int phase, CancellationToken stopping)
    {
        var stored = run.Nodes[name];
        await SetNodeAsync(run, name, RolloutNodeState.Running, "", stopping);
        var observer = new NodeObserver(transitions, run, name, stopping);
        if (InterruptedRollback(run, name) is { } interrupted && await RollBackIfReplacedAsync(run, name, interrupted, observer, stopping))
        {
            return; // the coordinator stopped in the node's rollback tail: it goes on from there
        }

        for (var i = 0; i < stored.Steps.Count; i++)
        {
            var step = stored.Steps[i];
            if (step.Phase != phase || step.OnFailure || run.Read(v => run.Node(v, name).Steps[i].State) == RolloutStepState.Succeeded)
            {
                continue;
            }

            if (run.AbortToken.IsCancellationRequested)
            {
                return; // the abort marks what was running
            }

            var label = $"step {i + 1}/{stored.Steps.Count} {step.Description}";
            await SetStepAsync(run, name, i, RolloutStepState.Running, "", stopping);
            await LogAsync(run, name, "info", $"{label}: started", stopping);
            StepOutcomeText outcome;
            try
            {
                var stepId = run.Read(v => run.Node(v, name).Steps[i].StepId);
                outcome = await executor.RunAsync(run.Id, stepId, stored.NodeId, stored.KubeNode, $"rollout {run.Id}, node {name}", step, observer, run.AbortToken, stopping);
            }
            catch (OperationCanceledException) when (run.AbortToken.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                return;
            }

            if (outcome.Succeeded)
            {
                await SetStepAsync(run, name, i, RolloutStepState.Succeeded, outcome.Reason, stopping);
                await LogAsync(run, name, "info", $"{label}: succeeded{(outcome.Reason.Length > 0 ? $" ({outcome.Reason})" : "")}", stopping);
                continue;
            }

            await SetStepAsync(run, name, i, RolloutStepState.Failed, outcome.Reason, stopping);
            var error = $"step {i + 1} ({step.Description}): {outcome.Reason}";
            await LogAsync(run, name, "error", $"{label}: failed: {outcome.Reason}", stopping);
            if (outcome.RolledBack && step is NodeStep.UpgradeAgent)
            {
                // The node put itself back (upgrade-agent's watchdog). Only this step has a way back on the node: a node that
                // says rolled_back of any other step is failed as it stands, and what Fleet cordoned is uncordoned below.
                await SetNodeAsync(run, name, RolloutNodeState.RolledBack, error, stopping);
                return;
            }

            if (await RollBackIfReplacedAsync(run, name, error, observer, stopping))
            {
                return; // strategy.onNodeFailure: rollback (RolloutDriver.Rollback.cs)
            }

            await SetNodeAsync(run, name, RolloutNodeState.Failed, error, stopping);
            if (!run.Plan.Strategy.KeepCordoned)
            {
                await UncordonIfFleetCordonedAsync(run, name, stopping);
            }

            return;
        }

        if (await MorePhasesAsync(run, name, phase, stopping))
        {
            return;
        }

        await SetNodeAsync(run, name, RolloutNodeState.Succeeded, "", stopping);
    }

    /// <summary>Marks what was cut short, uncordons what Fleet cordoned (unless keepCordoned), and ends the rollout.</summary>
    private async Task FinishAbortAsync(RolloutRun run, RolloutState final, string reason, CancellationToken stopping)
    {
        await SetStateAsync(run, RolloutState.Aborting, reason, stopping);
        foreach (var node in run.Read(v => v.Nodes.Select(n => (n.Name, n.State)).ToList()))
        {
            if (node.State == RolloutNodeState.Pending)
            {
                await SetNodeAsync(run, node.Name, RolloutNodeState.Skipped, "", stopping);
            }
            else if (node.State == RolloutNodeState.Running)
            {
                var running = run.Read(v => run.Node(v, node.Name).Steps.FirstOrDefault(s => s.State == RolloutStepState.Running));
                if (running is not null)
                {
                    await SetStepAsync(run, node.Name, running.Index, RolloutStepState.Cancelled, "the rollout stopped", stopping);
                }

                await SetNodeAsync(run, node.Name, RolloutNodeState.Failed, running is null ? "the rollout stopped" : $"step {running.Index + 1} ({running.Description}): cancelled: the rollout stopped", stopping);
            }
        }

        if (!run.Plan.Strategy.KeepCordoned)
        {
            foreach (var name in run.Nodes.Keys)
            {
                await UncordonIfFleetCordonedAsync(run, name, stopping);
            }
        }

        await SetStateAsync(run, final, reason, stopping);
    }

    /// <summary>Uncordons a node this rollout cordoned (or may have: a cordon step that was cut short). Uncordon
    /// only touches nodes carrying Fleet's annotation, so an operator's cordon is never undone.</summary>
    private async Task UncordonIfFleetCordonedAsync(RolloutRun run, string name, CancellationToken stopping)
    {
        var (cordoned, cordonStarted) = run.Read(v =>
        {
            var node = run.Node(v, name);
            return (node.CordonedByFleet, node.Steps.Any(s => s.Kind == StepKinds.Cordon && s.State is RolloutStepState.Running or RolloutStepState.Failed or RolloutStepState.Cancelled));
        });
        if (!cordoned && !cordonStarted)
        {
            return;
        }

        var kubeNode = run.Nodes[name].KubeNode;
        try
        {
            var cluster = await kubernetes.GetAsync(stopping) ?? throw new KubernetesActionException("no Kubernetes cluster is configured");
            var outcome = await cluster.UncordonAsync(kubeNode, stopping);
            await LogAsync(run, name, "info", $"kubernetes: uncordon {kubeNode} after the failure: {outcome}", stopping);
            await transitions.SetCordonedAsync(run, name, false, stopping);
        }
        catch (Exception ex) when (ex is KubernetesActionException or HttpRequestException)
        {
            await LogAsync(run, name, "error", $"kubernetes: uncordon {kubeNode} failed: {ex.Message}; it stays cordoned (kubectl uncordon {kubeNode})", stopping);
        }
    }

    /// <summary>The rollout's new state, and a log line saying it.</summary>
    private async Task SetStateAsync(RolloutRun run, RolloutState state, string reason, CancellationToken ct)
    {
        await transitions.SetStateAsync(run, state, reason, ct);
        await LogAsync(run, "", state is RolloutState.Succeeded or RolloutState.Running ? "info" : "warn", $"rollout {state.ToName()}: {reason}", ct);
    }

    private Task SetNodeAsync(RolloutRun run, string name, RolloutNodeState state, string error, CancellationToken ct) =>
        transitions.SetNodeAsync(run, name, state, error, ct);

    private Task SetStepAsync(RolloutRun run, string name, int index, RolloutStepState state, string reason, CancellationToken ct) =>
        transitions.SetStepAsync(run, name, index, state, reason, ct);

    private Task LogAsync(RolloutRun run, string node, string level, string message, CancellationToken ct) =>
        transitions.LogAsync(run, node, level, message, ct);

    private sealed class NodeObserver(RolloutTransitions transitions, RolloutRun run, string node, CancellationToken ct) : IStepObserver
    {
        public Task LogAsync(string level, string message) => transitions.LogAsync(run, node, level, message, ct);

        public void Progress(long done, long total) => RolloutTransitions.Progress(run, node, done, total);

        public Task CordonedAsync(bool cordoned) => transitions.SetCordonedAsync(run, node, cordoned, ct);
    }
}

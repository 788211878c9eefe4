using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Steps;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Coordinator.Rollouts;


/// <summary>What a step tells the rollout while it runs.</summary>
public interface IStepObserver
{
    Task LogAsync(string level, string message);

    void Progress(long done, long total);

    /// <summary>Fleet cordoned (true) or uncordoned (false) the node.</summary>
    Task CordonedAsync(bool cordoned);
}

/// <summary>
/// Runs one rollout step: agent steps through the dispatcher (with a stable id, so a re-sent step is answered
/// from the agent's journal), Kubernetes steps through the cluster. Never throws for a failed step: the
/// outcome says why. An abort cancels the step on its node; a coordinator shutdown only stops waiting.
/// </summary>
public sealed class StepExecutor(StepDispatcher dispatcher, IKubernetesClusterProvider kubernetes)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    /// <param name="rolloutId">the rollout the step belongs to, sent with agent steps (the agent records its replaces under it)</param>
    public async Task<StepOutcomeText> RunAsync(string rolloutId, string stepId, string nodeId, string kubeNode, string purpose, NodeStep step, IStepObserver observer, CancellationToken abort, CancellationToken stopping)
    {
        try
        {
            return step switch
            {
                NodeStep.KubeadmJoin join => await JoinAsync(rolloutId, stepId, nodeId, kubeNode, purpose, join, observer, abort, stopping),
                NodeStep.AgentStep agent => await AgentAsync(nodeId, agent.ToRequest(stepId, rolloutId), observer, step.Timeout, abort, stopping),
                NodeStep.KubernetesStep kube => await KubernetesAsync(kube, kubeNode, observer, abort, stopping),
                _ => throw new InvalidOperationException($"{step.Kind}: no way to run it"),
            };
        }
        catch (KubernetesActionException ex)
        {
            return new(false, ex.Message);
        }
        catch (HttpRequestException ex)
        {
            return new(false, $"the Kubernetes API server: {ex.Message}");
        }
    }

    private async Task<StepOutcomeText> AgentAsync(string nodeId, StepRequest request, IStepObserver observer, TimeSpan timeout, CancellationToken abort, CancellationToken stopping)
    {
        var result = await dispatcher.RunAsync(
            nodeId,
            request,
            async update =>
            {
                if (update.BytesDone > 0 || update.BytesTotal > 0)
                {
                    observer.Progress(update.BytesDone, update.BytesTotal);
                }

                foreach (var line in update.LogLines)
                {
                    await observer.LogAsync("info", line);
                }
            },
            timeout + Grace,
            abort).WaitAsync(stopping); // a shutdown stops waiting without cancelling the step on the node
        return StepOutcomeText.From(result);
    }

    private async Task<StepOutcomeText> JoinAsync(string rolloutId, string stepId, string nodeId, string kubeNode, string purpose, NodeStep.KubeadmJoin step, IStepObserver observer, CancellationToken abort, CancellationToken stopping)
    {
        var cluster = await ClusterAsync(stopping);
        var hash = await cluster.GetCaCertHashAsync(stopping);
        var token = await cluster.CreateBootstrapTokenAsync(step.Timeout + Grace, $"fleet: {purpose}", stopping);
        await observer.LogAsync("info", $"kubernetes: created bootstrap token {token} (expires {token.Expires:u}); CA hash {hash}");
        try
        {
            var request = step.ToRequest(stepId, token.Value, hash, kubeNode);
            request.RolloutId = rolloutId;
            return await AgentAsync(nodeId, request, observer, step.Timeout, abort, stopping);
        }
        finally
        {
            try
            {
                await cluster.DeleteBootstrapTokenAsync(token.Id, CancellationToken.None);
                await observer.LogAsync("info", $"kubernetes: deleted bootstrap token {token.Id}");
            }
            catch (Exception ex) when (ex is KubernetesActionException or HttpRequestException)
            {
                // The join's outcome stands; the token expires by itself at its TTL.
                await observer.LogAsync("warn", $"kubernetes: could not delete bootstrap token {token.Id} (it expires at {token.Expires:u}): {ex.Message}");
            }
        }
    }

    private async Task<StepOutcomeText> KubernetesAsync(NodeStep.KubernetesStep step, string kubeNode, IStepObserver observer, CancellationToken abort, CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(abort, stopping);
        var ct = linked.Token;
        var cluster = await ClusterAsync(ct);
        switch (step)
        {
            case NodeStep.Cordon:
                var cordon = await cluster.CordonAsync(kubeNode, ct);
                await observer.LogAsync("info", $"kubernetes: cordon {kubeNode}: {cordon}");
                if (cordon is CordonOutcome.Cordoned or CordonOutcome.AlreadyCordonedByFleet)
                {
                    await observer.CordonedAsync(true);
                    return new(true, cordon == CordonOutcome.Cordoned ? "cordoned by Fleet" : "already cordoned by Fleet");
                }

                return new(true, "already cordoned by an operator: Fleet leaves it cordoned");
            case NodeStep.Drain d:
                var drain = await cluster.DrainAsync(kubeNode, new DrainOptions(d.Timeout, d.GracePeriod, d.DeleteWhenEvictionBlocked), ct);
                var summary = $"evicted {drain.Evicted.Count} pod(s){List(drain.Evicted)}; skipped {drain.Skipped.Count}{List(drain.Skipped)}";
                await observer.LogAsync(drain.Completed ? "info" : "error", $"kubernetes: drain {kubeNode}: {summary}" + (drain.Completed ? "" : $"; would not leave: {string.Join(", ", drain.Remaining)}"));
                return drain.Completed ? new(true, summary) : new(false, $"pods would not leave within {step.Timeout.TotalSeconds:0} s: {string.Join(", ", drain.Remaining)}");
            case NodeStep.Uncordon:
                var uncordon = await cluster.UncordonAsync(kubeNode, ct);
                await observer.LogAsync("info", $"kubernetes: uncordon {kubeNode}: {uncordon}");
                if (uncordon == UncordonOutcome.Uncordoned)
                {
                    await observer.CordonedAsync(false);
                }

                return new(true, uncordon switch
                {
                    UncordonOutcome.Uncordoned => "uncordoned",
                    UncordonOutcome.LeftCordonedByOperator => "left cordoned: an operator cordoned it",
                    _ => "was not cordoned",
                });
            case NodeStep.WaitReady w:
                var version = string.IsNullOrEmpty(w.Version) ? null : w.Version;
                var node = await cluster.WaitReadyAsync(kubeNode, version, step.Timeout, ct);
                await observer.LogAsync("info", $"kubernetes: {kubeNode} is Ready, kubelet {node.KubeletVersion}");
                return new(true, $"Ready, kubelet {node.KubeletVersion}");
            default:
                throw new InvalidOperationException($"{step.Kind} is not a Kubernetes step");
        }
    }

    private async Task<IKubernetesCluster> ClusterAsync(CancellationToken ct) =>
        await kubernetes.GetAsync(ct) ?? throw new KubernetesActionException("no Kubernetes cluster is configured (fleetctl cluster set --kubeconfig FILE)");

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "" : $" ({string.Join(", ", items)})";
}

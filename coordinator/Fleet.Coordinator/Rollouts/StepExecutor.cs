using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Steps;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Coordinator.Rollouts;

/// <summary>The outcome of one rollout step.</summary>
public sealed record StepOutcomeText(bool Succeeded, string Reason);

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

    public async Task<StepOutcomeText> RunAsync(string stepId, string nodeId, string kubeNode, string purpose, NodeStep step, IStepObserver observer, CancellationToken abort, CancellationToken stopping)
    {
        try
        {
            return step.Kind switch
            {
                StepKinds.Cordon or StepKinds.Drain or StepKinds.Uncordon or StepKinds.WaitReady =>
                    await KubernetesAsync(step, kubeNode, observer, abort, stopping),
                StepKinds.KubeadmJoin => await JoinAsync(stepId, nodeId, kubeNode, purpose, step, observer, abort, stopping),
                _ => await AgentAsync(nodeId, AgentRequest(stepId, step), observer, step.Timeout, abort, stopping),
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

    private static StepRequest AgentRequest(string stepId, NodeStep step)
    {
        var request = new StepRequest { Id = stepId, Timeout = Duration.FromTimeSpan(step.Timeout) };
        switch (step.Kind)
        {
            case StepKinds.Download:
                request.Download = new DownloadStep { Url = step.Url, Sha256 = step.Sha256, Dest = step.Dest, Mode = step.Mode, Executable = true };
                break;
            case StepKinds.InstallCni:
                request.InstallCniPlugins = new InstallCniPluginsStep { Url = step.Url, Sha256 = step.Sha256, DestDir = step.Dest ?? "" };
                break;
            case StepKinds.KubeadmUpgrade:
                request.KubeadmUpgrade = new KubeadmUpgradeStep
                {
                    Mode = step.UpgradeMode == "apply" ? KubeadmUpgradeMode.Apply : KubeadmUpgradeMode.Node,
                    Version = step.Version ?? "",
                };
                break;
            case StepKinds.Systemd:
                request.Systemd = new SystemdStep
                {
                    Action = step.SystemdAction switch
                    {
                        "daemon-reload" => SystemdAction.DaemonReload,
                        "enable" => SystemdAction.Enable,
                        "enable-now" => SystemdAction.EnableNow,
                        _ => SystemdAction.Restart,
                    },
                    Unit = step.Unit ?? "",
                };
                break;
            case StepKinds.WaitKubeletHealthy:
                request.WaitKubeletHealthy = new WaitKubeletHealthyStep();
                break;
            default:
                throw new InvalidOperationException($"{step.Kind} is not an agent step");
        }

        return request;
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
        var reason = result.Reason + (result.FromJournal ? " (answered from the node's journal)" : "");
        return result.Outcome switch
        {
            StepOutcome.Succeeded => new(true, reason),
            StepOutcome.AlreadySatisfied => new(true, $"already satisfied: {reason}"),
            _ => new(false, reason.Length > 0 ? reason : "failed without a reason"),
        };
    }

    private async Task<StepOutcomeText> JoinAsync(string stepId, string nodeId, string kubeNode, string purpose, NodeStep step, IStepObserver observer, CancellationToken abort, CancellationToken stopping)
    {
        var cluster = await ClusterAsync(stopping);
        var hash = await cluster.GetCaCertHashAsync(stopping);
        var token = await cluster.CreateBootstrapTokenAsync(step.Timeout + Grace, $"fleet: {purpose}", stopping);
        await observer.LogAsync("info", $"kubernetes: created bootstrap token {token} (expires {token.Expires:u}); CA hash {hash}");
        try
        {
            var request = new StepRequest
            {
                Id = stepId,
                Timeout = Duration.FromTimeSpan(step.Timeout),
                KubeadmJoin = new KubeadmJoinStep
                {
                    ControlPlaneEndpoint = step.ControlPlaneEndpoint,
                    Token = token.Value,
                    ControlPlane = step.ControlPlane,
                    NodeName = kubeNode,
                },
            };
            request.KubeadmJoin.CaCertHashes.Add(hash);
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

    private async Task<StepOutcomeText> KubernetesAsync(NodeStep step, string kubeNode, IStepObserver observer, CancellationToken abort, CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(abort, stopping);
        var ct = linked.Token;
        var cluster = await ClusterAsync(ct);
        switch (step.Kind)
        {
            case StepKinds.Cordon:
                var cordon = await cluster.CordonAsync(kubeNode, ct);
                await observer.LogAsync("info", $"kubernetes: cordon {kubeNode}: {cordon}");
                if (cordon is CordonOutcome.Cordoned or CordonOutcome.AlreadyCordonedByFleet)
                {
                    await observer.CordonedAsync(true);
                    return new(true, cordon == CordonOutcome.Cordoned ? "cordoned by Fleet" : "already cordoned by Fleet");
                }

                return new(true, "already cordoned by an operator: Fleet leaves it cordoned");
            case StepKinds.Drain:
                var drain = await cluster.DrainAsync(kubeNode, new DrainOptions(step.Timeout, step.GracePeriod, step.DeleteWhenEvictionBlocked), ct);
                var summary = $"evicted {drain.Evicted.Count} pod(s){List(drain.Evicted)}; skipped {drain.Skipped.Count}{List(drain.Skipped)}";
                await observer.LogAsync(drain.Completed ? "info" : "error", $"kubernetes: drain {kubeNode}: {summary}" + (drain.Completed ? "" : $"; would not leave: {string.Join(", ", drain.Remaining)}"));
                return drain.Completed ? new(true, summary) : new(false, $"pods would not leave within {step.Timeout.TotalSeconds:0} s: {string.Join(", ", drain.Remaining)}");
            case StepKinds.Uncordon:
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
            default:
                var version = string.IsNullOrEmpty(step.Version) ? null : step.Version;
                var node = await cluster.WaitReadyAsync(kubeNode, version, step.Timeout, ct);
                await observer.LogAsync("info", $"kubernetes: {kubeNode} is Ready, kubelet {node.KubeletVersion}");
                return new(true, $"Ready, kubelet {node.KubeletVersion}");
        }
    }

    private async Task<IKubernetesCluster> ClusterAsync(CancellationToken ct) =>
        await kubernetes.GetAsync(ct) ?? throw new KubernetesActionException("no Kubernetes cluster is configured (fleetctl cluster set --kubeconfig FILE)");

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "" : $" ({string.Join(", ", items)})";
}

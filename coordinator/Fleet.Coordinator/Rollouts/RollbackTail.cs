namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// strategy.onNodeFailure: rollback. Appends to each worker that has a replace step (download, install-cni) its rollback
/// tail, every step marked <see cref="NodeStep.OnFailure"/>: restore what this rollout replaced, systemctl daemon-reload,
/// restart the kubelet, wait until it is healthy, wait until the node is Ready at its version before the rollout (its
/// from-version), uncordon. A normal pass never runs these steps; the driver runs them when the node fails after one of
/// its replace steps succeeded (RolloutDriver.Rollback.cs). Control-plane nodes get none: kubeadm does not downgrade a
/// control plane (the etcd snapshot is the way back, docs/rollouts.md#restoring-an-etcd-snapshot).
/// </summary>
public static class RollbackTail
{
    /// <summary>The step replaces files on the node (and the agent keeps what it replaced).</summary>
    public static bool Replaces(NodeStep step) => step is NodeStep.Download or NodeStep.InstallCni;

    /// <summary>Why a node of the plan gets no tail, for `rollout plan`; null when it gets one (or the policy is fail).</summary>
    public static string? NoTailReason(RolloutPlan plan, NodePlan node) =>
        plan.Strategy.OnNodeFailure != OnNodeFailure.Rollback ? null
        : node.ControlPlane ? "a control-plane node: no automatic rollback (kubeadm does not downgrade a control plane; docs/rollouts.md#restoring-an-etcd-snapshot)"
        : !node.Steps.Any(Replaces) ? "replaces nothing: no automatic rollback"
        : null;

    public static List<NodePlan> Apply(RolloutPlan plan, List<NodePlan> nodes) =>
        plan.Strategy.OnNodeFailure == OnNodeFailure.Rollback
            ? nodes.Select(n => NoTailReason(plan, n) is null ? n with { Steps = [.. n.Steps, .. Tail(n, plan.Strategy.Timeouts)] } : n).ToList()
            : nodes;

    /// <summary>The node's tail, in its last phase (a node's steps of an earlier phase must all succeed for the next phase to start).</summary>
    private static IEnumerable<NodeStep> Tail(NodePlan node, StepTimeouts t)
    {
        var phase = node.Steps.Count == 0 ? 1 : node.Steps.Max(s => s.Phase);
        NodeStep[] tail =
        [
            new NodeStep.RestorePrevious { Timeout = t.Download },
            new NodeStep.Systemd { SystemdAction = "daemon-reload", Timeout = t.Systemd },
            new NodeStep.Systemd { SystemdAction = "restart", Unit = PlanParser.KubeletUnit, Timeout = t.Systemd },
            new NodeStep.WaitKubeletHealthy { Timeout = t.KubeletHealthy },
            new NodeStep.WaitReady { Version = node.FromVersion.Length > 0 ? node.FromVersion : null, Timeout = t.Ready },
            new NodeStep.Uncordon { Timeout = t.Drain },
        ];
        return tail.Select(s => s with { OnFailure = true, Phase = phase, Description = s.Describe(node.KubeNode, node.Node.Facts.Arch) });
    }

    /// <summary>The node's rollback applies: it has a tail, and a replace step of it (not of the tail) succeeded.</summary>
    public static bool Applies(IReadOnlyList<NodeStep> steps, Fleet.V1.RolloutNode view) =>
        steps.Any(s => s.OnFailure) && steps.Select((s, i) => (s, i)).Any(x => !x.s.OnFailure && Replaces(x.s) && view.Steps[x.i].State == Fleet.V1.RolloutStepState.Succeeded);
}

using Fleet.Ctl.Rollouts;
using Fleet.V1;

namespace Fleet.Ctl.Tests.Rollouts;

/// <summary>How fleetctl shows issue 15's undo: onNodeFailure in the strategy, each node's version change, rollback steps
/// as "(on failure)", nodes without a tail, and a rolled-back node in `rollout get`.</summary>
public sealed class RolloutRollbackViewTests
{
    private static RolloutNode Node(string name, string from, params (string Kind, string Description, bool OnFailure, RolloutStepState State)[] steps)
    {
        var node = new RolloutNode { Name = name, Arch = Arch.Arm64, Batch = 1, State = RolloutNodeState.Pending, FromVersion = from };
        node.Steps.AddRange(steps.Select((s, i) => new RolloutStep { Index = i, Kind = s.Kind, Description = s.Description, OnFailure = s.OnFailure, State = s.State, Phase = 1 }));
        return node;
    }

    private static Rollout Planned(string onNodeFailure, params RolloutNode[] nodes)
    {
        var strategy = new RolloutStrategySummary { BatchSize = "1", PauseBetweenBatches = "0s", FailureThreshold = "1", OnFailure = "pause", Prefetch = true, OnNodeFailure = onNodeFailure };
        var rollout = new Rollout { Id = "r1", Recipe = "upgrade-kubernetes v1.12.5", BatchCount = 1, Strategy = strategy, State = RolloutState.Running };
        rollout.Nodes.AddRange(nodes);
        return rollout;
    }

    private static readonly (string, string, bool, RolloutStepState)[] Worker =
    [
        ("download", "download kubelet v1.12.5 (arm64) to /usr/bin/kubelet", false, RolloutStepState.Succeeded),
        ("wait-ready", "wait until pi1 is Ready at v1.12.5", false, RolloutStepState.Failed),
        ("restore-previous", "restore the files this rollout replaced", true, RolloutStepState.Succeeded),
        ("wait-ready", "wait until pi1 is Ready at v1.11.3", true, RolloutStepState.Succeeded),
    ];

    private static string Plan(Rollout rollout)
    {
        var w = new StringWriter();
        RolloutViews.PrintPlan(w, RolloutView.From(rollout));
        return w.ToString().ReplaceLineEndings("\n");
    }

    [Fact]
    public void Plan_ShowsRollback_TheVersionChange_OnFailureSteps_AndWhyANodeHasNone()
    {
        var text = Plan(Planned(
            "rollback",
            Node("pi1", "v1.11.3", Worker),
            Node("cp1", "v1.11.3", ("download", "download kubeadm v1.12.5 (arm64) to /usr/bin/kubeadm", false, RolloutStepState.Pending), ("wait-ready", "wait until cp1 is Ready at v1.12.5", false, RolloutStepState.Pending)),
            Node("pi2", "", ("systemd", "systemctl restart kubelet.service", false, RolloutStepState.Pending))));

        Assert.Contains("onFailure pause, onNodeFailure rollback\n", text);
        Assert.Contains("  pi1 (arm64, v1.11.3 → v1.12.5)\n", text); // the rollback tail's wait-ready is not the target
        Assert.Contains("    3. restore the files this rollout replaced (on failure)\n", text);
        Assert.Contains("  cp1 (arm64, v1.11.3 → v1.12.5)\n    (no automatic rollback: a control-plane node (kubeadm does not downgrade a control plane; docs/rollouts.md#restoring-an-etcd-snapshot))\n", text);
        Assert.Contains("  pi2 (arm64)\n    (no automatic rollback: it replaces nothing)\n", text);
    }

    [Fact]
    public void Plan_WithFail_SaysNothingOfRollback()
    {
        var text = Plan(Planned("fail", Node("pi1", "v1.11.3", ("download", "download kubelet v1.12.5 (arm64) to /usr/bin/kubelet", false, RolloutStepState.Pending))));

        Assert.DoesNotContain("onNodeFailure", text);
        Assert.DoesNotContain("automatic rollback", text);
        Assert.Equal("fail", RolloutView.From(Planned("", Node("pi1", ""))).Strategy!.OnNodeFailure); // a coordinator before issue 15 sends none
    }

    [Fact]
    public void Get_ShowsARolledBackNode_WhatFailed_AndTheVersions()
    {
        var node = Node("pi1", "v1.11.3", Worker);
        node.State = RolloutNodeState.RolledBack;
        node.Error = "step 2 (wait until pi1 is Ready at v1.12.5): timed out; rolled back to v1.11.3";
        var view = RolloutView.From(Planned("rollback", node));
        var w = new StringWriter();

        RolloutViews.PrintRollout(w, Fleet.Ctl.Output.TerminalInfo.Piped, view, wide: true);

        var text = w.ToString().ReplaceLineEndings("\n");
        Assert.Contains("  versions: pi1 v1.11.3 → v1.12.5\n", text);
        Assert.Contains("rolled-back", text);
        Assert.Equal("2/4 wait until pi1 is Ready at v1.12.5", RolloutViews.CurrentStep(view.Nodes[0])); // what failed; the error says it was rolled back
        Assert.Contains("pi1 (v1.11.3 → v1.12.5):\n  1. [succeeded] download kubelet", text);
        Assert.Contains("  3. [succeeded] restore the files this rollout replaced (on failure)\n", text);
    }
}

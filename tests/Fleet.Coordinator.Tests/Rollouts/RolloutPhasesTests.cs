using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>
/// A multi-hop upgrade (v1.12.0 to v1.14.10 through v1.13.4) planned by the real preflight, stored in SQLite and
/// driven by the engine over scripted agents: phase 1 on every node before phase 2, a node that did not finish
/// phase 1 stops the rollout before phase 2, and a coordinator restarted in the middle of phase 2 resumes there.
/// </summary>
public sealed partial class RolloutPhasesTests : IAsyncLifetime
{
    /// <summary>Without the etcd snapshot, so every node's hop has the same 11 steps (the snapshot has its own test below).</summary>
    private const string Plan = """
        target: {}
        strategy: { batchSize: 2, failureThreshold: 2 }
        recipe:
          upgrade-kubernetes: { version: v1.14.10, etcdSnapshot: false }
        """;

    /// <summary>Agent steps of one hop: prefetch, kubeadm from the cache, kubeadm upgrade, kubelet and kubectl from the cache, daemon-reload,
    /// restart (of 11 steps: each phase starts with its own prefetch).</summary>
    private static readonly int[] AgentSteps = [0, 1, 2, 5, 6, 7, 8];

    private readonly ConcurrentQueue<(string Node, int Index)> _sent = new();
    private RolloutRig _rig = null!;

    public async Task InitializeAsync()
    {
        _rig = await RolloutRig.StartAsync(["w1", "w2"], controlPlanes: ["cp1"]);
        var sha = new string('a', 64);
        await _rig.ApplyCatalogAsync(string.Concat(["components:\n", .. UpgradeHops.Binaries.Select(b => $$"""
              {{b}}:
                kind: binary
                url: https://dl.example/{version}/{arch}/{{b}}
                versions:
                  v1.13.1: { amd64: { sha256: {{sha}} } }
                  v1.13.4: { amd64: { sha256: {{sha}} } }
                  v1.14.10: { amd64: { sha256: {{sha}} } }

            """)]));
    }

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    /// <summary>Every agent succeeds, except where <paramref name="answer"/> says otherwise; each step sent is recorded in order.</summary>
    private void Answer(Func<string, int, StepOutcome?>? answer = null)
    {
        foreach (var agent in _rig.Agents)
        {
            agent.Answer = request =>
            {
                var index = Index(request.Id);
                _sent.Enqueue((agent.Name, index));
                return answer is null ? StepOutcome.Succeeded : answer(agent.Name, index);
            };
        }
    }

    private static int Index(string stepId) => int.Parse(StepIndex().Match(stepId).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Plan_ShowsEachPhase_WithItsBatches_ControlPlaneFirst_AndEachStepsPhase()
    {
        var (view, problems) = await _rig.Engine.PlanAsync(Plan, CancellationToken.None).DefaultTimeout();

        Assert.True(view is not null, string.Join("; ", problems));
        Assert.Equal(["1 v1.13.4 1-2", "2 v1.14.10 3-4"], view.Phases.Select(p => $"{p.Number} {p.Version} {p.FirstBatch}-{p.LastBatch}"));
        Assert.Equal(4, view.BatchCount);
        var cp1 = view.Nodes.Single(n => n.Name == "cp1");
        Assert.Equal(1, cp1.Batch);
        Assert.Equal(22, cp1.Steps.Count);
        Assert.Equal([.. Enumerable.Repeat(1, 11), .. Enumerable.Repeat(2, 11)], cp1.Steps.Select(s => s.Phase));
        Assert.Equal([StepKinds.Prefetch, StepKinds.Prefetch], [cp1.Steps[0].Kind, cp1.Steps[11].Kind]); // each hop's artifacts staged at its start
        Assert.Equal(["kubeadm upgrade apply v1.13.4 -y", "kubeadm upgrade apply v1.14.10 -y"], cp1.Steps.Where(s => s.Kind == StepKinds.KubeadmUpgrade).Select(s => s.Description));
        Assert.Equal(["kubeadm upgrade node", "kubeadm upgrade node"], view.Nodes.Single(n => n.Name == "w1").Steps.Where(s => s.Kind == StepKinds.KubeadmUpgrade).Select(s => s.Description));
        Assert.Equal("https://dl.example/v1.13.4/amd64/kubelet", view.Nodes.Single(n => n.Name == "w2").Steps[5].Url); // the newest v1.13 patch
        Assert.Equal(2, view.Nodes.Single(n => n.Name == "w2").Batch);
    }

    [Fact]
    public async Task Plan_ByDefault_SnapshotsEtcdFirstInEachHop_OnTheFirstControlPlaneOnly()
    {
        var (view, problems) = await _rig.Engine.PlanAsync(Plan.Replace(", etcdSnapshot: false", "", StringComparison.Ordinal), CancellationToken.None).DefaultTimeout();

        Assert.True(view is not null, string.Join("; ", problems));
        var cp1 = view.Nodes.Single(n => n.Name == "cp1");
        Assert.Equal(24, cp1.Steps.Count);
        foreach (var (first, version) in new[] { (0, "v1.13.4"), (12, "v1.14.10") })
        {
            Assert.Equal(
                [StepKinds.Prefetch, StepKinds.EtcdSnapshot, StepKinds.Download, StepKinds.KubeadmUpgrade],
                cp1.Steps.Skip(first).Take(4).Select(s => s.Kind));
            Assert.Equal("etcd snapshot of https://127.0.0.1:2379 into /var/lib/fleet-agent/etcd-snapshots (newest 3 kept)", cp1.Steps[first + 1].Description);
            Assert.Equal($"kubeadm upgrade apply {version} -y", cp1.Steps[first + 3].Description);
        }

        Assert.All(view.Nodes.Where(n => n.Name != "cp1"), n => Assert.DoesNotContain(n.Steps, s => s.Kind == StepKinds.EtcdSnapshot));
    }

    [Fact]
    public async Task Plan_OneMinorAway_HasNoPhases_AsBefore()
    {
        var (view, problems) = await _rig.Engine.PlanAsync(Plan.Replace("v1.14.10", "v1.13.4", StringComparison.Ordinal), CancellationToken.None).DefaultTimeout();

        Assert.True(view is not null, string.Join("; ", problems));
        Assert.Empty(view.Phases);
        Assert.Equal(2, view.BatchCount);
        Assert.All(view.Nodes, n => Assert.Equal(11, n.Steps.Count));
    }

    [Fact]
    public async Task Plan_BelowTheControlPlane_IsRefused()
    {
        _rig.Cluster.ServerVersion = "v1.15.0";

        var (view, problems) = await _rig.Engine.PlanAsync(Plan, CancellationToken.None).DefaultTimeout();

        Assert.Null(view);
        Assert.Contains("v1.14.10 is older than the control plane (v1.15.0): Fleet does not downgrade", problems);
    }

    [Fact]
    public async Task Plan_WhenTheCatalogLacksTheMinorBetween_IsRefused_AndNothingIsStored()
    {
        var (view, problems) = await _rig.Engine.PlanAsync(Plan.Replace("v1.14.10", "v1.16.0", StringComparison.Ordinal), CancellationToken.None).DefaultTimeout();

        Assert.Null(view);
        Assert.True(problems.Contains("v1.15: the catalog has no kubelet v1.15.x (Kubernetes cannot skip a minor version: the upgrade from v1.12.0 to v1.16.0 goes through v1.15)"), string.Join("\n", problems));
        Assert.Contains(problems, p => p.StartsWith("the catalog has no kubeadm v1.16.0", StringComparison.Ordinal));
        Assert.Empty(await _rig.Store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Drive_RunsPhaseOneOnEveryNode_BeforePhaseTwoStartsAnywhere()
    {
        Answer();
        var id = await _rig.ApplyAsync(Plan);
        var done = await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        var sent = _sent.ToList();
        var lastOfPhase1 = sent.FindLastIndex(s => s.Index < 11);
        var firstOfPhase2 = sent.FindIndex(s => s.Index >= 11);
        Assert.True(lastOfPhase1 < firstOfPhase2, string.Join(", ", sent));
        Assert.Equal(3 * 2 * AgentSteps.Length, sent.Count); // each agent step of each phase once
        var ready = _rig.Cluster.Calls.Where(c => c.StartsWith("wait-ready", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            ["wait-ready cp1: Ready at v1.13.4", "wait-ready w1: Ready at v1.13.4", "wait-ready w2: Ready at v1.13.4", "wait-ready cp1: Ready at v1.14.10", "wait-ready w1: Ready at v1.14.10", "wait-ready w2: Ready at v1.14.10"],
            [.. ready[..3].Order(StringComparer.Ordinal), .. ready[3..].Order(StringComparer.Ordinal)]); // w1 and w2 run side by side
        Assert.All(done.Nodes, n => Assert.Equal(RolloutNodeState.Succeeded, n.State));
        Assert.Equal(2, done.CurrentPhase);
        var logs = (await _rig.LogsAsync(id)).Select(l => $"{l.Node}: {l.Message}").ToList();
        var starting = logs.IndexOf(": phase 2 of 2 (v1.14.10): every node finished phase 1; starting");
        Assert.True(starting > logs.FindLastIndex(l => l.EndsWith("phase 1 of 2 done; phase 2 starts when phase 1 has finished on every node", StringComparison.Ordinal)), string.Join("\n", logs));
        Assert.True(starting < logs.FindIndex(l => l.Contains("step 12/22", StringComparison.Ordinal)), string.Join("\n", logs));
    }

    [Fact]
    public async Task Drive_ANodeThatFailedPhaseOne_StopsTheRolloutBeforePhaseTwo_BelowTheThresholdToo_AndResumeFinishesIt()
    {
        var failW1 = true;
        Answer((node, index) => node == "w1" && index == 2 && failW1 ? StepOutcome.Failed : StepOutcome.Succeeded);
        var id = await _rig.ApplyAsync(Plan); // failureThreshold 2: one failure alone does not stop the rollout

        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);

        Assert.StartsWith("phase 2 of 2 (v1.14.10) cannot start: phase 1 did not finish on w1 (failed: step 3 (kubeadm upgrade node): exit status 1)", paused.Reason);
        Assert.Contains($"fleetctl rollout resume {id}", paused.Reason);
        Assert.DoesNotContain(_sent, s => s.Index >= 11);
        Assert.Equal(RolloutNodeState.Running, paused.Nodes.Single(n => n.Name == "cp1").State); // between phases: not finished
        Assert.All(paused.Nodes.Single(n => n.Name == "w2").Steps, s => Assert.Equal(s.Phase == 1 ? RolloutStepState.Succeeded : RolloutStepState.Pending, s.State));
        Assert.Equal([1], paused.Nodes.Select(n => n.Steps.Count(s => s.State == RolloutStepState.Failed)).Where(c => c > 0));

        failW1 = false;
        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        var done = await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        Assert.All(done.Nodes, n => Assert.All(n.Steps, s => Assert.Equal(RolloutStepState.Succeeded, s.State)));
        Assert.Equal(2, _sent.Count(s => s == ("w1", 2))); // the failed step again; nothing else twice
        Assert.Equal(_sent.Count - 1, _sent.Distinct().Count());
    }

    [Fact]
    public async Task Drive_ANodeThatFailedPhaseOne_WithOnFailureAbort_EndsTheRolloutAsFailed_BeforePhaseTwo()
    {
        Answer((node, index) => node == "w2" && index == 5 ? StepOutcome.Failed : StepOutcome.Succeeded);
        var id = await _rig.ApplyAsync(Plan.Replace("failureThreshold: 2", "failureThreshold: 2, onFailure: abort", StringComparison.Ordinal));

        var failed = await _rig.WaitForStateAsync(id, RolloutState.Failed);

        Assert.StartsWith("phase 2 of 2 (v1.14.10) cannot start: phase 1 did not finish on w2 (failed: step 6 (download kubelet v1.13.4 (amd64) to /usr/bin/kubelet)", failed.Reason);
        Assert.DoesNotContain(_sent, s => s.Index >= 11);
        Assert.All(new[] { "cp1", "w1", "w2" }, n => Assert.False(_rig.Cluster.IsCordoned(n), $"{n} is uncordoned"));
    }

    [Fact]
    public async Task Restart_InTheMiddleOfPhaseTwo_ResumesThere_WithoutRunningPhaseOneAgain()
    {
        var hang = true;
        var sent = new TaskCompletionSource();
        var resent = new TaskCompletionSource();
        Answer((node, index) =>
        {
            if (node != "w1" || index != 13)
            {
                return StepOutcome.Succeeded;
            }

            if (hang)
            {
                sent.TrySetResult();
                return null; // w1's kubeadm upgrade node of phase 2 hangs
            }

            resent.TrySetResult();
            return StepOutcome.Succeeded;
        });
        var id = await _rig.ApplyAsync(Plan);
        await sent.Task.DefaultTimeout();
        Assert.Equal(RolloutStepState.Running, (await _rig.StoredAsync(id)).Nodes.Single(n => n.Name == "w1").Steps[13].State);
        var before = _sent.ToList();
        Assert.Contains(("cp1", 19), before); // cp1 finished phase 2 before the workers' batch

        hang = false;
        await _rig.RestartAsync();
        await resent.Task.DefaultTimeout(); // the restarted engine loaded the rollout and sent the running step again
        var done = await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        var after = _sent.Skip(before.Count).ToList();
        Assert.Equal([("w1", 13), ("w1", 16), ("w1", 17), ("w1", 18), ("w1", 19)], after.Where(s => s.Node == "w1"));
        Assert.DoesNotContain(after, s => s.Index < 11 || s.Node == "cp1");
        // w2 shares w1's batch: it may still have had steps to run at the restart, or none (it can finish
        // before the snapshot above); no other node is sent anything again.
        Assert.All(after.Where(s => s.Node != "w1"), s => Assert.Equal("w2", s.Node));
        Assert.Equal(2, done.CurrentPhase);
        Assert.All(done.Nodes, n => Assert.Equal(RolloutNodeState.Succeeded, n.State));
        Assert.Equal("v1.14.10", _rig.Cluster.KubeletVersionOf("w1"));
    }

    [Fact]
    public async Task Drive_ANodeBetweenPhases_WaitsForAMaintenanceWindow_LikeAPendingNode()
    {
        // The rig's clock starts on Sunday 12:00 UTC: the window is open for phase 1 and closes while its last batch runs.
        Answer((node, index) =>
        {
            if (node == "w2" && index == 8)
            {
                _rig.Time.Advance(TimeSpan.FromHours(1));
            }

            return StepOutcome.Succeeded;
        });
        var id = await _rig.ApplyAsync(Plan.Replace("strategy: { batchSize: 2, failureThreshold: 2 }", "strategy: { batchSize: 2, failureThreshold: 2, windows: [\"Sun 12:00-13:00 UTC\"] }", StringComparison.Ordinal));

        var waiting = await _rig.WaitForAsync(id, r => r.WindowWait == "waiting for window (next: Sun 2026-12-06 12:00 UTC)", "phase 2 waits for the next window");

        Assert.Equal(RolloutState.Running, waiting.State);
        Assert.All(waiting.Nodes, n => Assert.Equal(RolloutNodeState.Running, n.State)); // between phases, not pending
        Assert.DoesNotContain(_sent, s => s.Index >= 11); // no step of phase 2 was sent outside the window
    }

    [GeneratedRegex(@"-([0-9]+)(-retry[0-9]+)?$")]
    private static partial Regex StepIndex();
}

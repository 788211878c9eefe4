using System.Collections.Concurrent;
using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>
/// strategy.onNodeFailure: rollback, planned by the real preflight, stored in SQLite and driven by the engine over
/// scripted agents: the tail is appended only to workers with a replace step, never runs on success, runs after a
/// failure that follows a replace (the node ends rolled-back, counted toward the failure threshold), ends failed with
/// both reasons when it fails itself, and resumes after a coordinator restart without re-running its finished steps.
/// </summary>
public sealed class RollbackTailTests : IAsyncLifetime
{
    private static readonly string Sha = new('a', 64);

    /// <summary>0 cordon, 1 download kubelet, 2 restart kubelet, 3 wait healthy, 4 wait Ready, 5 uncordon; then the tail:
    /// 6 restore, 7 daemon-reload, 8 restart kubelet, 9 wait healthy, 10 wait Ready at the from-version, 11 uncordon.</summary>
    private const string Steps = """
        target: { names: [w1, w2] }
        strategy: { onNodeFailure: rollback, prefetch: false }
        steps:
          - cordon: {}
          - download: { component: kubelet, version: v1.12.5, dest: /usr/bin/kubelet }
          - systemd: { action: restart, unit: kubelet.service }
          - wait-kubelet-healthy: {}
          - wait-ready: { version: v1.12.5 }
          - uncordon: {}
        """;

    private readonly ConcurrentQueue<(string Node, StepRequest Request)> _sent = new();
    private RolloutRig _rig = null!;

    public async Task InitializeAsync()
    {
        _rig = await RolloutRig.StartAsync(["w1", "w2"], controlPlanes: ["cp1"]);
        await _rig.ApplyCatalogAsync($$"""
            components:
              kubeadm: { kind: binary, url: "https://dl.example/{version}/{arch}/kubeadm", versions: { v1.12.5: { amd64: { sha256: {{Sha}} } } } }
              kubelet: { kind: binary, url: "https://dl.example/{version}/{arch}/kubelet", versions: { v1.12.5: { amd64: { sha256: {{Sha}} } } } }
              kubectl: { kind: binary, url: "https://dl.example/{version}/{arch}/kubectl", versions: { v1.12.5: { amd64: { sha256: {{Sha}} } } } }
            """);
    }

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    /// <summary>Every agent succeeds, except where <paramref name="answer"/> says otherwise (null: leave the step running); every request is recorded.</summary>
    private void Answer(Func<string, StepRequest, StepOutcome?>? answer = null)
    {
        foreach (var agent in _rig.Agents)
        {
            agent.Answer = request =>
            {
                _sent.Enqueue((agent.Name, request));
                return answer is null ? StepOutcome.Succeeded : answer(agent.Name, request);
            };
        }
    }

    private List<StepRequest> Sent(string node, StepRequest.StepOneofCase kind) => _sent.Where(s => s.Node == node && s.Request.StepCase == kind).Select(s => s.Request).ToList();

    /// <summary>The kubelet never becomes healthy after the new one is in place (its first health wait), healthy again after the restore.</summary>
    private StepOutcome? UnhealthyAfterUpgrade(string node, StepRequest request) =>
        node == "w1" && request.StepCase == StepRequest.StepOneofCase.WaitKubeletHealthy && Sent(node, StepRequest.StepOneofCase.RestorePrevious).Count == 0
            ? StepOutcome.Failed
            : StepOutcome.Succeeded;

    [Fact]
    public async Task Plan_AppendsTheTail_OnlyToWorkersWithAReplace_OnlyWithRollback()
    {
        const string upgrade = """
            target: {}
            strategy: { onNodeFailure: rollback }
            recipe:
              upgrade-kubernetes: { version: v1.12.5 }
            """;

        var (view, problems) = await _rig.Engine.PlanAsync(upgrade, CancellationToken.None).DefaultTimeout();
        var (plain, _) = await _rig.Engine.PlanAsync(upgrade.Replace("onNodeFailure: rollback", "onNodeFailure: fail", StringComparison.Ordinal), CancellationToken.None).DefaultTimeout();

        Assert.True(view is not null, string.Join("; ", problems));
        Assert.Equal("rollback", view.Strategy.OnNodeFailure);
        Assert.DoesNotContain(view.Nodes.Single(n => n.Name == "cp1").Steps, s => s.OnFailure); // kubeadm does not downgrade a control plane
        var w1 = view.Nodes.Single(n => n.Name == "w1");
        Assert.Equal("v1.12.0", w1.FromVersion);
        Assert.Equal(
            [StepKinds.RestorePrevious, StepKinds.Systemd, StepKinds.Systemd, StepKinds.WaitKubeletHealthy, StepKinds.WaitReady, StepKinds.Uncordon],
            w1.Steps.Where(s => s.OnFailure).Select(s => s.Kind));
        Assert.All(w1.Steps.TakeLast(6), s => Assert.True(s.OnFailure)); // the tail comes last
        Assert.Equal(["restore the files this rollout replaced", "systemctl daemon-reload", "systemctl restart kubelet.service", "wait until the kubelet is healthy", "wait until w1 is Ready at v1.12.0", "uncordon w1"],
            w1.Steps.Where(s => s.OnFailure).Select(s => s.Description));
        Assert.NotNull(plain);
        Assert.Equal("fail", plain.Strategy.OnNodeFailure);
        Assert.All(plain.Nodes, n => Assert.DoesNotContain(n.Steps, s => s.OnFailure));
    }

    [Fact]
    public async Task Success_NeverRunsTheTail()
    {
        Answer();

        var id = await _rig.ApplyAsync(Steps);
        var done = await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        Assert.All(done.Nodes, n => Assert.Equal(RolloutNodeState.Succeeded, n.State));
        Assert.All(done.Nodes.SelectMany(n => n.Steps.Where(s => s.OnFailure)), s => Assert.Equal(RolloutStepState.Pending, s.State));
        Assert.DoesNotContain(_sent, s => s.Request.StepCase == StepRequest.StepOneofCase.RestorePrevious);
        Assert.Equal(["w1", "w2"], (await _rig.StoredAsync(id)).Nodes.Select(n => n.Name)); // stored with its from-version
        Assert.All((await _rig.StoredAsync(id)).Nodes, n => Assert.Equal("v1.12.0", n.FromVersion));
    }

    [Fact]
    public async Task FailureBeforeAnyReplace_IsAPlainFailure_WithoutTheTail()
    {
        Answer((node, request) => node == "w1" && request.StepCase == StepRequest.StepOneofCase.Download ? StepOutcome.Failed : StepOutcome.Succeeded);

        var id = await _rig.ApplyAsync(Steps);
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);

        var w1 = paused.Nodes.Single(n => n.Name == "w1");
        Assert.Equal(RolloutNodeState.Failed, w1.State);
        Assert.Equal("step 2 (download kubelet v1.12.5 (amd64) to /usr/bin/kubelet): exit status 1", w1.Error);
        Assert.Empty(Sent("w1", StepRequest.StepOneofCase.RestorePrevious));
        Assert.False(_rig.Cluster.IsCordoned("w1")); // uncordoned after the failure, as before
    }

    [Fact]
    public async Task FailureAfterAReplace_RunsTheTail_RolledBack_CountsTowardTheThreshold()
    {
        Answer(UnhealthyAfterUpgrade);

        var id = await _rig.ApplyAsync(Steps);
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);

        var w1 = paused.Nodes.Single(n => n.Name == "w1");
        Assert.Equal(RolloutNodeState.RolledBack, w1.State);
        Assert.Equal("step 4 (wait until the kubelet is healthy): exit status 1; rolled back to v1.12.0", w1.Error);
        Assert.All(w1.Steps.Where(s => s.OnFailure), s => Assert.Equal(RolloutStepState.Succeeded, s.State));
        var restore = Assert.Single(Sent("w1", StepRequest.StepOneofCase.RestorePrevious));
        Assert.Equal((id, ""), (restore.RolloutId, restore.RestorePrevious.RolloutId)); // "" means the request's own rollout
        Assert.Contains($"wait-ready w1: Ready at v1.12.0", _rig.Cluster.Calls); // waited for the version it had before
        Assert.False(_rig.Cluster.IsCordoned("w1")); // the tail's uncordon
        Assert.Contains("failure threshold reached (1 of 2 node(s) failed", paused.Reason, StringComparison.Ordinal); // threshold 1: rolled-back counts
        Assert.Contains("rolled-back nodes are finished", paused.Reason, StringComparison.Ordinal);
        Assert.Equal(RolloutNodeState.Pending, paused.Nodes.Single(n => n.Name == "w2").State);
        Assert.Contains(await _rig.LogsAsync(id), l => l.Node == "w1" && l.Level == "warn" && l.Message.StartsWith("rolling back (strategy.onNodeFailure: rollback) after a replace: step 4", StringComparison.Ordinal));

        // A resume does not retry a rolled-back node: it is finished, and keeps counting.
        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        var again = await _rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.Equal(RolloutNodeState.RolledBack, again.Nodes.Single(n => n.Name == "w1").State);
        Assert.Single(Sent("w1", StepRequest.StepOneofCase.RestorePrevious));
    }

    [Fact]
    public async Task FailingTail_EndsFailed_WithBothReasons()
    {
        Answer((node, request) => node == "w1" && request.StepCase is StepRequest.StepOneofCase.WaitKubeletHealthy or StepRequest.StepOneofCase.RestorePrevious
            ? StepOutcome.Failed
            : StepOutcome.Succeeded);

        var id = await _rig.ApplyAsync(Steps.Replace("prefetch: false", "prefetch: false, failureThreshold: 2", StringComparison.Ordinal));
        var done = await _rig.WaitForStateAsync(id, RolloutState.Failed);

        var w1 = done.Nodes.Single(n => n.Name == "w1");
        Assert.Equal(RolloutNodeState.Failed, w1.State);
        Assert.Equal("step 4 (wait until the kubelet is healthy): exit status 1; the rollback failed too: step 7 (restore the files this rollout replaced): exit status 1", w1.Error);
        Assert.Equal([RolloutStepState.Failed, .. Enumerable.Repeat(RolloutStepState.Pending, 5)], w1.Steps.Where(s => s.OnFailure).Select(s => s.State));
        Assert.False(_rig.Cluster.IsCordoned("w1")); // keepCordoned is false: Fleet uncordons what it cordoned
        Assert.Equal(RolloutNodeState.Succeeded, done.Nodes.Single(n => n.Name == "w2").State);
    }

    [Fact]
    public async Task ResumeAfterAFailingTail_RetriesTheNode_AndItsTailStartsOver_UnderNewStepIds()
    {
        var restores = 0;
        Answer((node, request) => (node, request.StepCase) switch
        {
            ("w1", StepRequest.StepOneofCase.WaitKubeletHealthy) when Volatile.Read(ref restores) < 2 => StepOutcome.Failed, // healthy only once a restore worked
            ("w1", StepRequest.StepOneofCase.RestorePrevious) => Interlocked.Increment(ref restores) == 1 ? StepOutcome.Failed : StepOutcome.Succeeded,
            _ => StepOutcome.Succeeded,
        });
        var id = await _rig.ApplyAsync(Steps);
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.Equal(RolloutNodeState.Failed, paused.Nodes.Single(n => n.Name == "w1").State);

        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        var again = await _rig.WaitForAsync(id, r => r.Nodes.Single(n => n.Name == "w1").State == RolloutNodeState.RolledBack, "w1 is rolled back on its retry");

        var sent = Sent("w1", StepRequest.StepOneofCase.RestorePrevious);
        Assert.Equal(2, sent.Count);
        Assert.NotEqual(sent[0].Id, sent[1].Id); // a new id: the agent does not answer the old failure from its journal
        Assert.EndsWith("-retry1", sent[1].Id, StringComparison.Ordinal);
        var w1 = again.Nodes.Single(n => n.Name == "w1");
        Assert.All(w1.Steps.Where(s => s.OnFailure), s => Assert.Equal(RolloutStepState.Succeeded, s.State));
        Assert.Equal(2, Sent("w1", StepRequest.StepOneofCase.WaitKubeletHealthy).Count(r => r.Id.Contains("-w1-3", StringComparison.Ordinal))); // step 4 (index 3), the failure, retried once
    }

    [Fact]
    public async Task KeepCordoned_FailingTail_LeavesTheNodeCordoned()
    {
        Answer((node, request) => node == "w1" && request.StepCase is StepRequest.StepOneofCase.WaitKubeletHealthy or StepRequest.StepOneofCase.RestorePrevious
            ? StepOutcome.Failed
            : StepOutcome.Succeeded);

        var id = await _rig.ApplyAsync(Steps.Replace("prefetch: false", "prefetch: false, keepCordoned: true", StringComparison.Ordinal));
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);

        Assert.Equal(RolloutNodeState.Failed, paused.Nodes.Single(n => n.Name == "w1").State);
        Assert.True(_rig.Cluster.IsCordoned("w1"));
    }

    [Fact]
    public async Task RestartMidTail_ResumesTheTail_WithoutRerunningItsFinishedSteps()
    {
        var hang = true;
        var resent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hung = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Answer((node, request) =>
        {
            var tailRestart = node == "w1" && request.StepCase == StepRequest.StepOneofCase.Systemd && request.Systemd.Action == SystemdAction.Restart && Sent(node, StepRequest.StepOneofCase.RestorePrevious).Count > 0;
            if (tailRestart && !Volatile.Read(ref hang))
            {
                resent.TrySetResult();
            }
            else if (tailRestart)
            {
                hung.TrySetResult(request.Id);
            }

            return tailRestart && Volatile.Read(ref hang) ? null : UnhealthyAfterUpgrade(node, request); // null: the coordinator stops while the tail restarts the kubelet
        });
        var id = await _rig.ApplyAsync(Steps);
        var hungId = await hung.Task.DefaultTimeout();

        Volatile.Write(ref hang, false);
        await _rig.RestartAsync();
        await resent.Task.DefaultTimeout(); // the restarted engine loaded the rollout and sent the running tail step again
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);

        var w1 = paused.Nodes.Single(n => n.Name == "w1");
        Assert.Equal(RolloutNodeState.RolledBack, w1.State);
        Assert.Equal("step 4 (wait until the kubelet is healthy): exit status 1; rolled back to v1.12.0", w1.Error);
        Assert.Single(Sent("w1", StepRequest.StepOneofCase.RestorePrevious)); // the restore is not sent again
        Assert.Single(Sent("w1", StepRequest.StepOneofCase.Systemd), r => r.Systemd.Action == SystemdAction.DaemonReload);
        Assert.Equal(2, Sent("w1", StepRequest.StepOneofCase.Systemd).Count(r => r.Id == hungId)); // the step in flight, re-sent under its id (the agent's journal answers it)
        Assert.Equal(RolloutStepState.Failed, w1.Steps[3].State); // the original failure is kept, not run again
        Assert.Single(Sent("w1", StepRequest.StepOneofCase.Download));
    }

    [Fact]
    public async Task AbortDuringTheTail_LetsTheTailFinish()
    {
        var restore = new TaskCompletionSource<StepRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        Answer((node, request) =>
        {
            if (request.StepCase == StepRequest.StepOneofCase.RestorePrevious)
            {
                restore.TrySetResult(request);
                return null; // answered by the test, after the abort
            }

            return UnhealthyAfterUpgrade(node, request);
        });
        var id = await _rig.ApplyAsync(Steps);
        var request = await restore.Task.DefaultTimeout();

        var abort = _rig.Engine.AbortAsync(id, CancellationToken.None);
        await _rig.WaitForAsync(id, r => r.State == RolloutState.Aborting, "the abort is requested");
        Assert.DoesNotContain(_rig["w1"].Received, m => m.CancelStep is not null); // the restore is not cancelled
        _rig["w1"].Succeed(request);
        var aborted = await abort.DefaultTimeout();

        Assert.Equal(RolloutState.Aborted, aborted.State);
        Assert.Equal(RolloutNodeState.RolledBack, aborted.Nodes.Single(n => n.Name == "w1").State);
        Assert.Equal(RolloutNodeState.Skipped, aborted.Nodes.Single(n => n.Name == "w2").State);
    }
}

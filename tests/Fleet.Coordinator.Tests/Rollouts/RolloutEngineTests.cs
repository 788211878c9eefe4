using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>
/// The engine with the operator's requests racing the driver: abort during a step, pause during the wait
/// between batches, pause taken back, resume after a failure, and a coordinator restart in the middle of a step.
/// Every wait is on the rollout's own watch or the agents' messages, bounded by DefaultTimeout; time moves only
/// when the test advances it.
/// </summary>
public sealed class RolloutEngineTests : IAsyncLifetime
{
    private const string RestartKubelet = """
        steps:
          - systemd: { action: restart, unit: kubelet.service }
          - wait-ready: {}
        """;

    private RolloutRig _rig = null!;

    public async Task InitializeAsync() => _rig = await RolloutRig.StartAsync(["w1", "w2", "w3"]);

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task Abort_DuringARunningStep_SendsCancelStepToTheNode_MarksTheStepCancelled_AndSkipsTheRest()
    {
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1, w2] }"}
            {RestartKubelet}
            """);
        var step = await _rig["w1"].NextStepAsync(); // left running

        var view = await _rig.Engine.AbortAsync(id, CancellationToken.None).DefaultTimeout();

        var cancel = (await _rig["w1"].NextAsync()).CancelStep;
        Assert.Equal(step.Id, cancel?.Id);
        Assert.Equal(RolloutState.Aborted, view.State);
        var stored = await _rig.StoredAsync(id);
        Assert.Equal(RolloutState.Aborted, stored.State);
        Assert.Equal(RolloutStepState.Cancelled, stored.Nodes[0].Steps[0].State);
        Assert.Equal("the rollout stopped", stored.Nodes[0].Steps[0].Reason);
        Assert.Equal(RolloutStepState.Pending, stored.Nodes[0].Steps[1].State);
        Assert.Equal(RolloutNodeState.Failed, stored.Nodes[0].State);
        Assert.Equal(RolloutNodeState.Skipped, stored.Nodes[1].State);
        Assert.Empty(_rig["w2"].Received);
        Assert.Equal("cancelled", stored.Nodes[0].Steps[0].State.ToName());
    }

    [Fact]
    public async Task Abort_UncordonsWhatFleetCordoned_AndLeavesAnOperatorsCordon()
    {
        _rig.Cluster.AddNode("w2", "v1.12.0", cordonedByOperator: true);
        var id = await _rig.ApplyAsync("""
            target: { names: [w1, w2] }
            strategy: { batchSize: 2 }
            steps:
              - cordon: {}
              - systemd: { action: restart, unit: kubelet.service }
              - uncordon: {}
            """);
        var w1 = await _rig["w1"].NextStepAsync();
        var w2 = await _rig["w2"].NextStepAsync();

        await _rig.Engine.AbortAsync(id, CancellationToken.None).DefaultTimeout();

        Assert.Equal(w1.Id, (await _rig["w1"].NextAsync()).CancelStep?.Id);
        Assert.Equal(w2.Id, (await _rig["w2"].NextAsync()).CancelStep?.Id);
        Assert.False(_rig.Cluster.IsCordoned("w1"));
        Assert.True(_rig.Cluster.IsCordoned("w2"));
        Assert.Contains("uncordon w1: Uncordoned", _rig.Cluster.Calls);
        Assert.DoesNotContain(_rig.Cluster.Calls, c => c.StartsWith("uncordon w2", StringComparison.Ordinal)); // Fleet never cordoned it
        var stored = await _rig.StoredAsync(id);
        Assert.All(stored.Nodes, n => Assert.Equal(RolloutStepState.Cancelled, n.Steps[1].State));
        Assert.All(stored.Nodes, n => Assert.False(n.CordonedByFleet));
    }

    [Fact]
    public async Task Pause_DuringTheWaitBetweenBatches_IsPausedAtOnce_AndResumeGoesOnWithTheNextBatch()
    {
        _rig["w1"].Answer = _ => StepOutcome.Succeeded;
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1, w2] }"}
            strategy: {"{ pauseBetweenBatches: 30s }"}
            {RestartKubelet}
            """);
        await _rig.WaitForLogAsync(id, l => l.Message == "waiting 30 s before batch 2", "waiting 30 s before batch 2");

        await _rig.Engine.PauseAsync(id, CancellationToken.None).DefaultTimeout();
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused); // no time has passed
        Assert.Equal("paused by the operator", paused.Reason);
        Assert.Equal(RolloutNodeState.Pending, paused.Nodes[1].State);
        Assert.Empty(_rig["w2"].Received);

        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        _rig["w2"].Succeed(await _rig["w2"].NextStepAsync()); // still no time has passed
        Assert.Equal(RolloutState.Succeeded, (await _rig.WaitForStateAsync(id, RolloutState.Succeeded)).State);
    }

    [Fact]
    public async Task Abort_DuringTheWaitBetweenBatches_EndsItAtOnce_AndSkipsTheNextBatch()
    {
        _rig["w1"].Answer = _ => StepOutcome.Succeeded;
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1, w2] }"}
            strategy: {"{ pauseBetweenBatches: 1h }"}
            {RestartKubelet}
            """);
        await _rig.WaitForLogAsync(id, l => l.Message == "waiting 3600 s before batch 2", "waiting 3600 s before batch 2");

        var view = await _rig.Engine.AbortAsync(id, CancellationToken.None).DefaultTimeout(); // no time has passed

        Assert.Equal(RolloutState.Aborted, view.State);
        Assert.Equal([RolloutNodeState.Succeeded, RolloutNodeState.Skipped], view.Nodes.Select(n => n.State));
        Assert.Empty(_rig["w2"].Received);
    }

    [Fact]
    public async Task Pause_WhileANodeRuns_LetsItsStepsFinish_AndStartsNoNewNode()
    {
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1, w2] }"}
            {RestartKubelet}
            """);
        var step = await _rig["w1"].NextStepAsync();

        var requested = await _rig.Engine.PauseAsync(id, CancellationToken.None).DefaultTimeout();
        Assert.Equal(RolloutState.Running, requested.State); // not yet: w1 is in the middle of its steps
        _rig["w1"].Succeed(step);

        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.Equal(RolloutNodeState.Succeeded, paused.Nodes[0].State);
        Assert.Equal(RolloutNodeState.Pending, paused.Nodes[1].State);
        Assert.Empty(_rig["w2"].Received);
    }

    [Fact]
    public async Task PauseThenResume_BeforeThePauseTookEffect_TakesThePauseBack()
    {
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1, w2] }"}
            {RestartKubelet}
            """);
        var step = await _rig["w1"].NextStepAsync();

        await _rig.Engine.PauseAsync(id, CancellationToken.None).DefaultTimeout();
        var resumed = await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        Assert.Equal(RolloutState.Running, resumed.State);
        _rig["w1"].Succeed(step);
        _rig["w2"].Succeed(await _rig["w2"].NextStepAsync());

        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
        Assert.DoesNotContain(await _rig.LogsAsync(id), l => l.Message.StartsWith("rollout paused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resume_RetriesTheFailedStepUnderANewId_AndNeverRerunsSucceededSteps()
    {
        var id = await _rig.ApplyAsync("""
            target: { names: [w1] }
            steps:
              - systemd: { action: daemon-reload }
              - systemd: { action: restart, unit: kubelet.service }
              - wait-kubelet-healthy: {}
            """);
        var reload = await _rig["w1"].NextStepAsync();
        _rig["w1"].Succeed(reload);
        var restart = await _rig["w1"].NextStepAsync();
        _rig["w1"].Fail(restart, "kubelet.service: exit status 1");
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.Contains("kubelet.service: exit status 1", paused.Nodes[0].Error);

        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        var retry = await _rig["w1"].NextStepAsync();
        Assert.Equal($"{restart.Id}-retry1", retry.Id);
        Assert.Equal(SystemdAction.Restart, retry.Systemd.Action);
        _rig["w1"].Succeed(retry);
        var healthy = await _rig["w1"].NextStepAsync();
        Assert.NotNull(healthy.WaitKubeletHealthy);
        _rig["w1"].Succeed(healthy);

        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
        Assert.Equal([reload.Id, restart.Id, retry.Id, healthy.Id], _rig["w1"].Steps.Select(s => s.Id));
        var stored = await _rig.StoredAsync(id);
        Assert.Equal(retry.Id, stored.Nodes[0].Steps[1].StepId); // a restart would send the retry's id, not the failed one's
    }

    [Fact]
    public async Task Restart_ResumesARunningRollout_AndResendsTheRunningStepWithTheSameId()
    {
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1, w2] }"}
            {RestartKubelet}
            """);
        var before = await _rig["w1"].NextStepAsync();

        await _rig.RestartAsync();

        var after = await _rig["w1"].NextStepAsync();
        Assert.Equal(before.Id, after.Id); // the agent answers it from its journal or its run in progress
        Assert.DoesNotContain(_rig["w1"].Received, m => m.CancelStep is not null); // a shutdown only stops waiting
        _rig["w1"].Succeed(after);
        _rig["w2"].Succeed(await _rig["w2"].NextStepAsync());
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
        Assert.Contains(await _rig.LogsAsync(id), l => l.Message == "the coordinator restarted: resuming where the rollout stopped");
        Assert.Single(_rig["w2"].Steps);
    }

    [Fact]
    public async Task Restart_KeepsAPausedRolloutPaused_UntilResumed()
    {
        _rig["w1"].Answer = _ => StepOutcome.Failed;
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1, w2] }"}
            {RestartKubelet}
            """);
        await _rig.WaitForStateAsync(id, RolloutState.Paused);

        await _rig.RestartAsync();

        Assert.Equal(RolloutState.Paused, (await _rig.Engine.GetAsync(id, CancellationToken.None).DefaultTimeout())!.State);
        _rig.AllSucceed();
        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
        Assert.Equal(2, _rig["w1"].Steps.Count); // the failed one, then its retry
    }

    [Fact]
    public async Task ResumeAndAbort_AtOnce_OnAPausedRollout_EndAborted_WithEveryStepSentCancelled()
    {
        _rig["w1"].Answer = _ => StepOutcome.Failed;
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1, w2] }"}
            {RestartKubelet}
            """);
        await _rig.WaitForStateAsync(id, RolloutState.Paused);
        _rig["w1"].Answer = null; // the retry, if the resume goes first, hangs until the abort cancels it

        var resume = Task.Run(() => _rig.Engine.ResumeAsync(id, CancellationToken.None));
        var abort = Task.Run(() => _rig.Engine.AbortAsync(id, CancellationToken.None));
        var aborted = await abort.DefaultTimeout();
        var resumed = await Record.ExceptionAsync(() => resume).DefaultTimeout();

        // Either order is fine; what must never happen is a resume that undoes the abort or a second driver.
        Assert.Equal(RolloutState.Aborted, aborted.State);
        Assert.True(resumed is null or RolloutStateException, resumed?.ToString());
        Assert.Equal(RolloutState.Aborted, (await _rig.StoredAsync(id)).State);
        var sent = _rig["w1"].Received;
        foreach (var step in sent.Where(m => m.StepRequest is not null).Skip(1)) // the retry, if any, was cancelled
        {
            Assert.Contains(sent, m => m.CancelStep?.Id == step.StepRequest.Id);
        }

        Assert.Empty(_rig["w2"].Received);
    }

    [Fact]
    public async Task Requests_ThatDoNotApplyToTheRolloutsState_AreRefusedWithItsState()
    {
        _rig.AllSucceed();
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1] }"}
            {RestartKubelet}
            """);
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        var pause = await Assert.ThrowsAsync<RolloutStateException>(() => _rig.Engine.PauseAsync(id, CancellationToken.None)).DefaultTimeout();
        Assert.Equal($"rollout {id} has finished", pause.Message);
        await Assert.ThrowsAsync<RolloutStateException>(() => _rig.Engine.ResumeAsync(id, CancellationToken.None)).DefaultTimeout();
        await Assert.ThrowsAsync<RolloutStateException>(() => _rig.Engine.AbortAsync(id, CancellationToken.None)).DefaultTimeout();
        var unknown = await Assert.ThrowsAsync<RolloutStateException>(() => _rig.Engine.AbortAsync("r99", CancellationToken.None)).DefaultTimeout();
        Assert.Equal("no unfinished rollout r99 (fleetctl rollout list)", unknown.Message);
    }

    [Fact]
    public async Task Resume_OfARunningRollout_AndPause_OfAPausedOne_AreRefused()
    {
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1, w2] }"}
            {RestartKubelet}
            """);
        var step = await _rig["w1"].NextStepAsync();
        var resume = await Assert.ThrowsAsync<RolloutStateException>(() => _rig.Engine.ResumeAsync(id, CancellationToken.None)).DefaultTimeout();
        Assert.Equal($"rollout {id} is running, not paused", resume.Message);

        await _rig.Engine.PauseAsync(id, CancellationToken.None).DefaultTimeout();
        _rig["w1"].Succeed(step);
        await _rig.WaitForStateAsync(id, RolloutState.Paused);
        var pause = await Assert.ThrowsAsync<RolloutStateException>(() => _rig.Engine.PauseAsync(id, CancellationToken.None)).DefaultTimeout();
        Assert.Equal($"rollout {id} is paused, not running", pause.Message);
    }
}

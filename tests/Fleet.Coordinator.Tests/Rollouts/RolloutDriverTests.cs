using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>
/// The driver on its own, over a real store, dispatcher and scripted agents: the order of batches, the
/// sliding window, the failure threshold, the wait between batches (fake time), and uncordon after a failure.
/// </summary>
public sealed class RolloutDriverTests : IAsyncLifetime
{
    private const string RestartKubelet = """
        steps:
          - systemd: { action: restart, unit: kubelet.service }
          - wait-ready: {}
        """;

    private const string CordonRestartUncordon = """
        steps:
          - cordon: {}
          - systemd: { action: restart, unit: kubelet.service }
          - uncordon: {}
        """;

    private RolloutRig _rig = null!;

    public async Task InitializeAsync() => _rig = await RolloutRig.StartAsync(["w1", "w2", "w3", "w4"], controlPlanes: ["cp1"], startEngine: false);

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    private Task DriveAsync(RolloutRun run) => Task.Run(() => _rig.Driver.DriveAsync(run, CancellationToken.None));

    [Fact]
    public async Task Batches_ControlPlaneFirst_ThenCanary_ThenBatchSize_EachBatchAfterThePreviousFinished()
    {
        var run = await _rig.CreateRunAsync($"""
            target: {"{}"}
            strategy: {"{ canary: 1, batchSize: 2 }"}
            {RestartKubelet}
            """);
        Assert.Equal(["cp1", "w1", "w2 w3", "w4"], run.Batches.Select(b => string.Join(" ", b.Nodes)));
        var driving = DriveAsync(run);

        // Each batch is answered by hand: nothing of the next batch is sent while one of its nodes still runs.
        string[][] expected = [["cp1"], ["w1"], ["w2", "w3"], ["w4"]];
        foreach (var batch in expected)
        {
            var requests = new List<(ScriptedAgent Agent, StepRequest Step)>();
            foreach (var node in batch)
            {
                requests.Add((_rig[node], await _rig[node].NextStepAsync()));
            }

            Assert.All(_rig.Agents.Where(a => !batch.Contains(a.Name)), a => Assert.False(a.HasPending, $"{a.Name} was sent a step during batch {string.Join(" ", batch)}"));
            foreach (var (agent, step) in requests)
            {
                Assert.Equal(SystemdAction.Restart, step.Systemd.Action);
                agent.Succeed(step);
            }
        }

        await driving.DefaultTimeout();
        var stored = await _rig.StoredAsync(run.Id);
        Assert.Equal(RolloutState.Succeeded, stored.State);
        Assert.All(stored.Nodes, n => Assert.Equal(RolloutNodeState.Succeeded, n.State));
        Assert.Equal(["wait-ready cp1: Ready at v1.12.0", "wait-ready w1: Ready at v1.12.0"], _rig.Cluster.Calls.Take(2));
    }

    [Fact]
    public async Task MaxUnavailable_KeepsAtMostThatManyNodesInProgress_AndStartsTheNextAsOneFinishes()
    {
        var run = await _rig.CreateRunAsync($"""
            target: {"{ names: [w1, w2, w3, w4] }"}
            strategy: {"{ maxUnavailable: 2 }"}
            {RestartKubelet}
            """);
        var driving = DriveAsync(run);
        var w1 = await _rig["w1"].NextStepAsync();
        var w2 = await _rig["w2"].NextStepAsync();
        Assert.False(_rig["w3"].HasPending);
        Assert.False(_rig["w4"].HasPending);

        _rig["w2"].Succeed(w2);
        var w3 = await _rig["w3"].NextStepAsync(); // w2's slot
        Assert.False(_rig["w4"].HasPending);
        Assert.Equal(RolloutNodeState.Running, run.Read(v => run.Node(v, "w1").State));

        _rig["w1"].Succeed(w1);
        var w4 = await _rig["w4"].NextStepAsync();
        _rig["w3"].Succeed(w3);
        _rig["w4"].Succeed(w4);
        await driving.DefaultTimeout();
        Assert.Equal(RolloutState.Succeeded, (await _rig.StoredAsync(run.Id)).State);
    }

    [Fact]
    public async Task FailureThreshold_WithOnFailurePause_FinishesTheBatch_StartsNoMore_AndPausesNamingTheFailedNodes()
    {
        var run = await _rig.CreateRunAsync($"""
            target: {"{ names: [w1, w2, w3, w4] }"}
            strategy: {"{ batchSize: 2, failureThreshold: 2, onFailure: pause }"}
            {RestartKubelet}
            """);
        _rig["w1"].Answer = _ => StepOutcome.Failed;
        _rig["w2"].Answer = _ => StepOutcome.Failed;
        await DriveAsync(run).DefaultTimeout();

        var stored = await _rig.StoredAsync(run.Id);
        Assert.Equal(RolloutState.Paused, stored.State);
        Assert.StartsWith("failure threshold reached (2 of 4 node(s) failed, threshold 2): w1: step 1 (", stored.Reason);
        Assert.Contains("fleetctl rollout resume", stored.Reason);
        Assert.Equal([RolloutNodeState.Failed, RolloutNodeState.Failed, RolloutNodeState.Pending, RolloutNodeState.Pending], stored.Nodes.Select(n => n.State));
        Assert.Empty(_rig["w3"].Received);
        Assert.Empty(_rig["w4"].Received);
        Assert.Equal(RolloutStepState.Failed, stored.Nodes[0].Steps[0].State);
        Assert.Equal(RolloutStepState.Pending, stored.Nodes[0].Steps[1].State); // never reached
    }

    [Fact]
    public async Task FailuresBelowTheThreshold_RunToTheEnd_AndEndAsFailedNamingThem()
    {
        var run = await _rig.CreateRunAsync($"""
            target: {"{ names: [w1, w2, w3] }"}
            strategy: {"{ failureThreshold: 2 }"}
            {RestartKubelet}
            """);
        _rig.AllSucceed();
        _rig["w2"].Answer = _ => StepOutcome.Failed;
        await DriveAsync(run).DefaultTimeout();

        var stored = await _rig.StoredAsync(run.Id);
        Assert.Equal(RolloutState.Failed, stored.State);
        Assert.Equal("finished; 1 of 3 node(s) failed: w2", stored.Reason);
        Assert.Single(_rig["w3"].Steps);
    }

    [Fact]
    public async Task FailureThreshold_WithOnFailureAbort_SkipsTheNodesNotStarted_AndEndsAsFailed()
    {
        var run = await _rig.CreateRunAsync($"""
            target: {"{ names: [w1, w2, w3] }"}
            strategy: {"{ onFailure: abort }"}
            {RestartKubelet}
            """);
        _rig["w1"].Answer = _ => StepOutcome.Failed;
        await DriveAsync(run).DefaultTimeout();

        var stored = await _rig.StoredAsync(run.Id);
        Assert.Equal(RolloutState.Failed, stored.State);
        Assert.StartsWith("failure threshold reached (1 of 3 node(s) failed", stored.Reason);
        Assert.NotNull(stored.FinishedAt);
        Assert.Equal([RolloutNodeState.Failed, RolloutNodeState.Skipped, RolloutNodeState.Skipped], stored.Nodes.Select(n => n.State));
        Assert.Empty(_rig["w2"].Received);
        Assert.Empty(_rig["w3"].Received);
    }

    [Fact]
    public async Task PauseBetweenBatches_WaitsOnTheTimeProvider_AndLogsWhatItWaitsFor()
    {
        var run = await _rig.CreateRunAsync($"""
            target: {"{ names: [w1, w2] }"}
            strategy: {"{ pauseBetweenBatches: 30s }"}
            {RestartKubelet}
            """);
        _rig["w1"].Answer = _ => StepOutcome.Succeeded;
        var driving = DriveAsync(run);

        await _rig.WaitForLogAsync(run, l => l.Message == "waiting 30 s before batch 2", "waiting 30 s before batch 2");
        _rig.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(_rig["w2"].HasPending);
        Assert.Equal(RolloutNodeState.Pending, run.Read(v => run.Node(v, "w2").State));

        _rig.Time.Advance(TimeSpan.FromSeconds(1));
        _rig["w2"].Succeed(await _rig["w2"].NextStepAsync());
        await driving.DefaultTimeout();
        var stored = await _rig.StoredAsync(run.Id);
        Assert.True(stored.State == RolloutState.Succeeded, stored.ToString());
        Assert.DoesNotContain(await _rig.LogsAsync(run.Id), l => l.Message.Contains("pausing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFailedNode_IsUncordonedAtOnce_WhenFleetCordonedIt()
    {
        var run = await _rig.CreateRunAsync($"""
            target: {"{ names: [w1] }"}
            {CordonRestartUncordon}
            """);
        _rig["w1"].Answer = _ => StepOutcome.Failed;
        await DriveAsync(run).DefaultTimeout();

        Assert.Equal(["cordon w1: Cordoned", "uncordon w1: Uncordoned"], _rig.Cluster.Calls);
        Assert.False(_rig.Cluster.IsCordoned("w1"));
        var node = (await _rig.StoredAsync(run.Id)).Nodes.Single();
        Assert.Equal(RolloutNodeState.Failed, node.State);
        Assert.False(node.CordonedByFleet);
        Assert.Contains(await _rig.LogsAsync(run.Id), l => l.Node == "w1" && l.Message.StartsWith("kubernetes: uncordon w1 after the failure", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KeepCordoned_LeavesTheFailedNodeCordoned_AndRemembersFleetCordonedIt()
    {
        var run = await _rig.CreateRunAsync($"""
            target: {"{ names: [w1] }"}
            strategy: {"{ keepCordoned: true }"}
            {CordonRestartUncordon}
            """);
        _rig["w1"].Answer = _ => StepOutcome.Failed;
        await DriveAsync(run).DefaultTimeout();

        Assert.Equal(["cordon w1: Cordoned"], _rig.Cluster.Calls);
        Assert.True(_rig.Cluster.IsCordoned("w1"));
        Assert.True((await _rig.StoredAsync(run.Id)).Nodes.Single().CordonedByFleet);
    }

    [Fact]
    public async Task ANodeAnOperatorCordoned_StaysCordonedAfterAFailure()
    {
        _rig.Cluster.AddNode("w2", "v1.12.0", cordonedByOperator: true);
        var run = await _rig.CreateRunAsync($"""
            target: {"{ names: [w2] }"}
            {CordonRestartUncordon}
            """);
        _rig["w2"].Answer = _ => StepOutcome.Failed;
        await DriveAsync(run).DefaultTimeout();

        Assert.Equal(["cordon w2: AlreadyCordonedByOperator"], _rig.Cluster.Calls);
        Assert.True(_rig.Cluster.IsCordoned("w2"));
        Assert.False((await _rig.StoredAsync(run.Id)).Nodes.Single().CordonedByFleet);
    }
}

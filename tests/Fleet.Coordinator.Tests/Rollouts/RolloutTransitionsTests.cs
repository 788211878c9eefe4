using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>
/// The one owner of rollout state persists first and publishes after: a watcher never sees a change the store
/// does not hold, and a write that fails changes nothing anyone can see.
/// </summary>
public sealed class RolloutTransitionsTests : IAsyncLifetime
{
    private RolloutRig _rig = null!;
    private FailingRolloutStore _store = null!;
    private RolloutTransitions _transitions = null!;
    private RolloutRun _run = null!;

    public async Task InitializeAsync()
    {
        _rig = await RolloutRig.StartAsync(["w1"], startEngine: false);
        _store = new FailingRolloutStore(_rig.Store);
        _transitions = new RolloutTransitions(_store, _rig.Time);
        _run = await _rig.CreateRunAsync("""
            target: { names: [w1] }
            steps:
              - systemd: { action: restart, unit: kubelet.service }
            """);
    }

    public async Task DisposeAsync()
    {
        _run.Dispose();
        await _rig.DisposeAsync();
    }

    [Fact]
    public async Task EveryTransition_IsStoredBeforeAWatcherSeesIt()
    {
        using var cancel = new CancellationTokenSource();
        var watch = _run.Watch(cancel.Token);
        Assert.True(watch.TryRead(out _)); // the current snapshot
        var stored = new List<Rollout>();
        var watcher = Task.Run(async () =>
        {
            // For each change seen, the store already holds it (it may hold later ones too, never fewer).
            await foreach (var e in watch.ReadAllAsync())
            {
                if (e.Snapshot is { } snapshot)
                {
                    var now = await _rig.StoredAsync(_run.Id);
                    Assert.True(Rank(now) >= Rank(snapshot), $"published before stored: {snapshot}");
                    stored.Add(now);
                }
            }
        });

        await _transitions.SetNodeAsync(_run, "w1", RolloutNodeState.Running, "", CancellationToken.None);
        await _transitions.SetStepAsync(_run, "w1", 0, RolloutStepState.Running, "", CancellationToken.None);
        await _transitions.SetCordonedAsync(_run, "w1", true, CancellationToken.None);
        await _transitions.SetStepAsync(_run, "w1", 0, RolloutStepState.Failed, "exit status 1", CancellationToken.None);
        await _transitions.SetNodeAsync(_run, "w1", RolloutNodeState.Failed, "step 1: exit status 1", CancellationToken.None);
        await _transitions.SetStateAsync(_run, RolloutState.Paused, "failure threshold reached", CancellationToken.None);
        _run.EndWatches();
        await watcher.DefaultTimeout();

        Assert.Equal(6, stored.Count);
        var final = await _rig.StoredAsync(_run.Id);
        Assert.Equal(RolloutState.Paused, final.State);
        Assert.True(final.Nodes[0].CordonedByFleet);
        Assert.Equal("exit status 1", final.Nodes[0].Steps[0].Reason);
    }

    /// <summary>How far along a view is: the transitions above only move forward.</summary>
    private static int Rank(Rollout r) =>
        (r.Nodes[0].State == RolloutNodeState.Running ? 1 : r.Nodes[0].State == RolloutNodeState.Failed ? 5 : 0)
        + (r.Nodes[0].Steps[0].State == RolloutStepState.Running ? 1 : r.Nodes[0].Steps[0].State == RolloutStepState.Failed ? 3 : 0)
        + (r.Nodes[0].CordonedByFleet ? 1 : 0)
        + (r.State == RolloutState.Paused ? 1 : 0);

    [Fact]
    public async Task AFailedWrite_IsNeverPublished_AndLeavesTheViewAsItWas()
    {
        using var cancel = new CancellationTokenSource();
        var watch = _run.Watch(cancel.Token);
        Assert.True(watch.TryRead(out _));
        var before = _run.Snapshot();
        _store.Failing = true;

        await Assert.ThrowsAsync<IOException>(() => _transitions.SetStateAsync(_run, RolloutState.Paused, "x", CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => _transitions.SetNodeAsync(_run, "w1", RolloutNodeState.Failed, "x", CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => _transitions.SetStepAsync(_run, "w1", 0, RolloutStepState.Failed, "x", CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => _transitions.SetCordonedAsync(_run, "w1", true, CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => _transitions.LogAsync(_run, "w1", "info", "x", CancellationToken.None));

        Assert.False(watch.TryRead(out var leaked), $"published without being stored: {leaked}");
        Assert.Equal(before, _run.Snapshot());
        Assert.Equal(RolloutState.Running, (await _rig.StoredAsync(_run.Id)).State);
        Assert.Empty(await _rig.LogsAsync(_run.Id));
    }

    [Fact]
    public async Task RetryNode_GivesTheFailedStepANewIdInTheStoreAndTheView_AndLeavesSucceededStepsAlone()
    {
        var firstId = _run.Read(v => v.Nodes[0].Steps[0].StepId);
        await _transitions.SetStepAsync(_run, "w1", 0, RolloutStepState.Failed, "exit status 1", CancellationToken.None);
        await _transitions.SetNodeAsync(_run, "w1", RolloutNodeState.Failed, "step 1: exit status 1", CancellationToken.None);

        await _transitions.RetryNodeAsync(_run, "w1", CancellationToken.None);

        var stored = (await _rig.StoredAsync(_run.Id)).Nodes[0];
        var live = _run.Read(v => v.Nodes[0].Clone());
        Assert.Equal($"{firstId}-retry1", stored.Steps[0].StepId);
        Assert.Equal(stored.Steps[0].StepId, live.Steps[0].StepId);
        Assert.Equal(RolloutStepState.Pending, stored.Steps[0].State);
        Assert.Equal(RolloutNodeState.Pending, stored.State);
        Assert.Equal("", stored.Error);
        Assert.Equal(live.State, stored.State);
    }
}

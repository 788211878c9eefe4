using Fleet.Coordinator.Rollouts.Gates;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts.Gates;

/// <summary>
/// Gates in the driver (the rollout rig: real store, dispatcher and engine, fake time) with an http gate against a
/// real server on loopback: a failing gate pauses after the batch with its reason, a resume checks it again before any
/// new node starts, a soak waits on the TimeProvider and then checks the others again, and an abort or the
/// operator's pause ends a gate wait at once.
/// </summary>
public sealed class GateDriverTests : IAsyncLifetime
{
    private RolloutRig _rig = null!;
    private GateTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await GateTestServer.StartAsync();
        _rig = await RolloutRig.StartAsync(["w1", "w2"]);
        _rig.AllSucceed();
    }

    public async Task DisposeAsync()
    {
        await _rig.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static string Plan(string gates) => $"""
        target: {"{ names: [w1, w2] }"}
        strategy:
          batchSize: 1
          gates:
        {gates}
        steps:
          - systemd: {"{ action: restart, unit: kubelet.service }"}
        """;

    private string Health => $"      - http: {{ url: \"{_server.BaseUrl}/health\" }}";

    [Fact]
    public async Task AFailingGate_PausesAfterTheBatch_WithItsReason_AndAResumeChecksItAgainBeforeAnyNewNode()
    {
        _server.HealthStatus = 503;
        var id = await _rig.ApplyAsync(Plan(Health));

        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.Equal(
            $"gate http GET {_server.BaseUrl}/health answers 200 failed: GET {_server.BaseUrl}/health answered 503, expected 200; fix it, then `fleetctl rollout resume {id}` (every gate is checked again before any new node starts) or `abort`",
            paused.Reason);
        Assert.Equal([RolloutNodeState.Succeeded, RolloutNodeState.Pending], paused.Nodes.Select(n => n.State));
        Assert.Empty(_rig["w2"].Steps);
        Assert.Equal("", paused.Gate);
        Assert.Equal(paused.Reason, (await _rig.StoredAsync(id)).Reason); // stored: `rollout get` shows it after a restart too

        // Still failing: the resume checks it again and pauses again; w2 never starts.
        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        await _rig.WaitForStateAsync(id, RolloutState.Paused);
        await _rig.Run(id).Driver!.DefaultTimeout();
        Assert.Empty(_rig["w2"].Steps);
        Assert.Equal(2, _server.Requests("/health"));

        _server.HealthStatus = 200;
        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
        Assert.Single(_rig["w1"].Steps); // what succeeded is not run again
        Assert.Single(_rig["w2"].Steps);
        Assert.Equal(4, _server.Requests("/health")); // before w2, and at the end
        var logs = (await _rig.LogsAsync(id)).Select(l => l.Message).ToList();
        Assert.Equal(2, logs.Count(l => l.StartsWith("gate http GET", StringComparison.Ordinal) && l.Contains("failed: GET", StringComparison.Ordinal)));
        Assert.Contains(logs, l => l == "every gate held");
    }

    [Fact]
    public async Task GatesAreCheckedAtTheEnd_ARolloutSucceedsOnlyWhenTheyHold()
    {
        _rig["w1"].Answer = null; // answered by hand below
        var id = await _rig.ApplyAsync($"""
            target: {"{ names: [w1] }"}
            strategy:
              gates:
            {Health}
            steps:
              - systemd: {"{ action: restart, unit: kubelet.service }"}
            """);
        var step = await _rig["w1"].NextStepAsync();
        Assert.Equal(0, _server.Requests("/health")); // no gate before the first batch: nothing has run yet
        _server.HealthStatus = 500;
        _rig["w1"].Succeed(step);

        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.Equal(RolloutNodeState.Succeeded, Assert.Single(paused.Nodes).State);
        Assert.Contains("answered 500, expected 200", paused.Reason);

        _server.HealthStatus = 200;
        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
        Assert.Single(_rig["w1"].Steps);
        Assert.Equal(2, _server.Requests("/health"));
    }

    [Fact]
    public async Task ASoak_WaitsOnTheTimeProvider_ThenChecksEveryOtherGateAgain()
    {
        var id = await _rig.ApplyAsync(Plan($"{Health}\n      - soak: 10m"));
        await _rig.WaitForLogAsync(id, l => l.Message == "gate soak 10m: waiting, then checking every other gate again", "the soak began");
        var soaking = _rig.Run(id).Snapshot();
        Assert.StartsWith("soak 10m: until 2026-11-29 12:10:00Z", soaking.Gate);
        Assert.Empty(_rig["w2"].Steps);
        Assert.Equal(1, _server.Requests("/health"));

        _server.HealthStatus = 500; // goes bad during the soak
        _rig.Time.Advance(TimeSpan.FromMinutes(10));
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.StartsWith($"gate http GET {_server.BaseUrl}/health answers 200 failed: GET {_server.BaseUrl}/health answered 500", paused.Reason);
        Assert.Equal(2, _server.Requests("/health"));
        Assert.Empty(_rig["w2"].Steps);
    }

    [Fact]
    public async Task AnAbort_EndsASoakAtOnce()
    {
        var id = await _rig.ApplyAsync(Plan("      - soak: 1h"));
        await _rig.WaitForLogAsync(id, l => l.Message.StartsWith("gate soak 1h: waiting", StringComparison.Ordinal), "the soak began");

        var aborted = await _rig.Engine.AbortAsync(id, CancellationToken.None).DefaultTimeout(); // no time passes
        Assert.Equal(RolloutState.Aborted, aborted.State);
        Assert.Equal([RolloutNodeState.Succeeded, RolloutNodeState.Skipped], aborted.Nodes.Select(n => n.State));
        Assert.Empty(_rig["w2"].Steps);
    }

    [Fact]
    public async Task TheOperatorsPause_EndsASoak_AndTheResumeSoaksAndChecksAgain()
    {
        var id = await _rig.ApplyAsync(Plan($"{Health}\n      - soak: 1h"));
        await _rig.WaitForLogAsync(id, l => l.Message.StartsWith("gate soak 1h: waiting", StringComparison.Ordinal), "the soak began");

        await _rig.Engine.PauseAsync(id, CancellationToken.None).DefaultTimeout();
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.Equal("paused by the operator", paused.Reason);
        await _rig.Run(id).Driver!.DefaultTimeout();
        Assert.Empty(_rig["w2"].Steps);

        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        await _rig.WaitForAsync(id, r => r.Gate.StartsWith("soak 1h", StringComparison.Ordinal), "the resume soaks again");
        Assert.Empty(_rig["w2"].Steps);
        Assert.Equal(2, _server.Requests("/health")); // checked again before the soak
        _rig.Time.Advance(TimeSpan.FromHours(1));
        await _rig.WaitForAsync(id, r => r.Nodes[1].State == RolloutNodeState.Succeeded, "w2 ran after the soak");

        // The end: the gates again, the soak included, before the rollout succeeds.
        await _rig.WaitForAsync(id, r => r.Gate.StartsWith("soak 1h", StringComparison.Ordinal), "the last soak");
        Assert.Equal(RolloutState.Running, _rig.Run(id).Read(v => v.State));
        _rig.Time.Advance(TimeSpan.FromHours(1));
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
    }

    [Fact]
    public async Task WithoutGates_NothingIsChecked()
    {
        var id = await _rig.ApplyAsync("""
            target: { names: [w1, w2] }
            strategy: { batchSize: 1 }
            steps:
              - systemd: { action: restart, unit: kubelet.service }
            """);
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
        Assert.DoesNotContain(await _rig.LogsAsync(id), l => l.Message.Contains("gate", StringComparison.Ordinal));
    }
}

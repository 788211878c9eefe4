using System.Globalization;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Coordinator.Tests.Rollouts.Windows;

/// <summary>
/// strategy.windows in the engine and driver (real store, dispatcher, scripted agents, fake clock that only the test
/// moves; the rig's clock starts on Sunday 2026-11-29 12:00 UTC): no node starts outside a window, the rollout says
/// what it waits for, nodes in progress finish, and abort, pause, resume and a restart behave.
/// </summary>
public sealed class RolloutWindowsTests : IAsyncLifetime
{
    private const string NextTuesday = "waiting for window (next: Tue 2026-12-01 02:00 UTC)";

    private RolloutRig _rig = null!;

    public async Task InitializeAsync() => _rig = await RolloutRig.StartAsync(["w1", "w2"]);

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    private static string Plan(string batchSize = "2") => $$"""
        target: { names: [w1, w2] }
        strategy:
          batchSize: {{batchSize}}
          windows: ["Tue 02:00-06:00 UTC"]
        steps:
          - systemd: { action: restart, unit: kubelet.service }
        """;

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private void AdvanceTo(string utc) => _rig.Time.Advance(Utc(utc) - _rig.Time.GetUtcNow());

    private Task<Rollout> WaitingAsync(string id, string wait = NextTuesday) =>
        _rig.WaitForAsync(id, r => r.WindowWait == wait, $"the rollout shows \"{wait}\"");

    private void AssertNoStepSent() => Assert.All(_rig.Agents, a => Assert.Empty(a.Steps));

    [Fact]
    public async Task OutsideAWindow_NoNodeStarts_GetListAndLogsSayWhatItWaitsFor_AndTheWindowOpeningStartsThem()
    {
        var id = await _rig.ApplyAsync(Plan());

        var waiting = await WaitingAsync(id);
        Assert.Equal(Timestamp.FromDateTimeOffset(Utc("2026-12-01T02:00")), waiting.WindowOpensAt);
        Assert.Equal(RolloutState.Running, waiting.State);
        Assert.All(waiting.Nodes, n => Assert.Equal(RolloutNodeState.Pending, n.State));
        Assert.Equal(NextTuesday, (await _rig.Engine.GetAsync(id, CancellationToken.None))!.WindowWait);
        Assert.Equal(NextTuesday, Assert.Single(await _rig.Engine.ListAsync(CancellationToken.None)).WindowWait);
        await _rig.WaitForLogAsync(id, l => l.Node.Length == 0 && l.Message.StartsWith($"{NextTuesday}: no node starts outside strategy.windows", StringComparison.Ordinal), "it waits for the window");
        Assert.Equal("", (await _rig.StoredAsync(id)).WindowWait); // derived from the clock, never stored
        AssertNoStepSent();

        // One step of the clock to the opening: the waiter's timer is armed before the rollout says it waits.
        AdvanceTo("2026-12-01T02:00");
        var w1 = await _rig["w1"].NextStepAsync();
        var w2 = await _rig["w2"].NextStepAsync();
        _rig["w1"].Succeed(w1);
        _rig["w2"].Succeed(w2);
        var done = await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
        Assert.Equal("", done.WindowWait);
        Assert.Null(done.WindowOpensAt);
        Assert.Contains(await _rig.LogsAsync(id), l => l.Message == "window \"Tue 02:00-06:00 UTC\" is open: starting w1");
    }

    [Fact]
    public async Task AWindowClosingWhileANodeRuns_LetsItFinish_AndStartsNoNewNodeUntilTheNextWindow()
    {
        AdvanceTo("2026-12-01T05:30");
        var id = await _rig.ApplyAsync(Plan(batchSize: "1"));
        var w1 = await _rig["w1"].NextStepAsync();

        AdvanceTo("2026-12-01T06:30"); // the window closes while w1 runs
        _rig["w1"].Succeed(w1);
        var waiting = await WaitingAsync(id, "waiting for window (next: Tue 2026-12-08 02:00 UTC)");
        Assert.Equal([RolloutNodeState.Succeeded, RolloutNodeState.Pending], waiting.Nodes.Select(n => n.State));
        Assert.Empty(_rig["w2"].Steps);

        AdvanceTo("2026-12-08T02:00");
        _rig["w2"].Succeed(await _rig["w2"].NextStepAsync());
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
    }

    [Fact]
    public async Task AbortDuringTheWait_EndsItAtOnce_AndSkipsEveryNode()
    {
        var id = await _rig.ApplyAsync(Plan());
        await WaitingAsync(id);

        var aborted = await _rig.Engine.AbortAsync(id, CancellationToken.None).DefaultTimeout();

        Assert.Equal(RolloutState.Aborted, aborted.State);
        Assert.Equal("", aborted.WindowWait);
        Assert.All(aborted.Nodes, n => Assert.Equal(RolloutNodeState.Skipped, n.State));
        Assert.Equal(RolloutState.Aborted, (await _rig.StoredAsync(id)).State);
        AssertNoStepSent();
    }

    [Fact]
    public async Task PauseDuringTheWait_EndsItAtOnce_AndAResumeOutsideAWindowWaitsAgain()
    {
        var id = await _rig.ApplyAsync(Plan());
        await WaitingAsync(id);

        await _rig.Engine.PauseAsync(id, CancellationToken.None).DefaultTimeout();
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.Equal("paused by the operator", paused.Reason);
        Assert.Equal("", paused.WindowWait);

        _rig.Time.Advance(TimeSpan.FromHours(1));
        await _rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        await WaitingAsync(id);
        AssertNoStepSent();

        AdvanceTo("2026-12-01T03:00");
        _rig["w1"].Succeed(await _rig["w1"].NextStepAsync());
        _rig["w2"].Succeed(await _rig["w2"].NextStepAsync());
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
    }

    [Fact]
    public async Task ARestartedCoordinator_WaitsAgain_FromTheClock()
    {
        var id = await _rig.ApplyAsync(Plan());
        await WaitingAsync(id);

        await _rig.RestartAsync();
        await Eventually.Until(() => _rig.Engine.Live(id) is not null, "the restarted engine has loaded the rollout");

        await WaitingAsync(id);
        AssertNoStepSent();
        AdvanceTo("2026-12-01T02:00");
        _rig["w1"].Succeed(await _rig["w1"].NextStepAsync());
        _rig["w2"].Succeed(await _rig["w2"].NextStepAsync());
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
    }

    [Fact]
    public async Task ANodeInProgressWhenTheCoordinatorRestarts_GoesOnOutsideTheWindow()
    {
        AdvanceTo("2026-12-01T05:59");
        var id = await _rig.ApplyAsync(Plan(batchSize: "1"));
        var first = await _rig["w1"].NextStepAsync();
        AdvanceTo("2026-12-01T07:00");

        await _rig.RestartAsync();

        var again = await _rig["w1"].NextStepAsync(); // sent again, same id: the node had started, so it finishes
        Assert.Equal(first.Id, again.Id);
        _rig["w1"].Succeed(again);
        var waiting = await WaitingAsync(id, "waiting for window (next: Tue 2026-12-08 02:00 UTC)");
        Assert.Equal(RolloutNodeState.Succeeded, waiting.Nodes[0].State);
        Assert.Empty(_rig["w2"].Steps);
    }
}

using System.Text.Json;
using Fleet.Ctl.Output;
using Fleet.Ctl.Rollouts;
using Fleet.V1;

namespace Fleet.Ctl.Tests.Rollouts;

/// <summary>strategy.windows in fleetctl: `rollout get` and `rollout list` say what the rollout waits for, `rollout plan` lists the windows.</summary>
public sealed class RolloutWindowViewTests
{
    private const string Wait = "waiting for window (next: Sat 2026-12-05 02:00 Europe/Berlin)";

    private static Rollout Waiting()
    {
        var rollout = new Rollout { Id = "r1", State = RolloutState.Running, Recipe = "install-cni v1.1.1", BatchCount = 1, CurrentBatch = 1, WindowWait = Wait };
        rollout.WindowOpensAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 12, 5, 1, 0, 0, TimeSpan.Zero));
        rollout.Nodes.Add(new RolloutNode { Name = "x1", Arch = Arch.Amd64, Batch = 1, State = RolloutNodeState.Pending });
        return rollout;
    }

    [Fact]
    public void Get_ShowsTheWaitUnderTheRolloutsState_AndJsonCarriesIt()
    {
        var view = RolloutView.From(Waiting());
        var text = new StringWriter();
        RolloutViews.PrintRollout(text, new TerminalInfo(120, false), view, wide: false);
        Assert.Equal(["rollout r1: install-cni v1.1.1, running", $"  {Wait}"], text.ToString().Split('\n').Take(2));

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(view, RolloutJson.Default.RolloutView));
        Assert.Equal(Wait, json.RootElement.GetProperty("windowWait").GetString());
        Assert.Equal("2026-12-05T01:00:00Z", json.RootElement.GetProperty("windowOpensAt").GetString());
    }

    [Fact]
    public void Get_WithoutAWait_ShowsNoSuchLine()
    {
        var rollout = Waiting();
        rollout.WindowWait = "";
        var view = RolloutView.From(rollout);
        Assert.Null(view.WindowWait);
        Assert.Null(view.WindowOpensAt);
        var text = new StringWriter();
        RolloutViews.PrintRollout(text, new TerminalInfo(120, false), view, wide: false);
        Assert.DoesNotContain("waiting for window", text.ToString());
    }

    [Fact]
    public void List_ShowsTheWaitInItsReasonColumn()
    {
        var text = new StringWriter();
        RolloutViews.List([RolloutView.From(Waiting())], wide: false, DateTimeOffset.UnixEpoch).Write(text, new TerminalInfo(200, false));
        Assert.Contains(Wait, text.ToString());
    }

    [Fact]
    public void Plan_ListsTheWindows_OrSaysAnyTime()
    {
        var rollout = Waiting();
        rollout.Strategy = new RolloutStrategySummary { BatchSize = "1", PauseBetweenBatches = "0s", FailureThreshold = "1", OnFailure = "pause", Windows = { "Sat 02:00-06:00 Europe/Berlin", "Sun 02:00-06:00 UTC" } };
        var text = new StringWriter();
        RolloutViews.PrintPlan(text, RolloutView.From(rollout));
        Assert.Contains("windows: Sat 02:00-06:00 Europe/Berlin; Sun 02:00-06:00 UTC\n", text.ToString());

        rollout.Strategy.Windows.Clear();
        text = new StringWriter();
        RolloutViews.PrintPlan(text, RolloutView.From(rollout));
        Assert.Contains("windows: any time\n", text.ToString());
    }
}

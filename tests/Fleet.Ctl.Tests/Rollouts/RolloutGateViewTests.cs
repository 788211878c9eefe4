using System.Text.Json;
using Fleet.Ctl.Output;
using Fleet.Ctl.Rollouts;
using Fleet.V1;

namespace Fleet.Ctl.Tests.Rollouts;

/// <summary>strategy.gates in fleetctl: `rollout plan` lists them, `rollout get` shows the gate being checked, and JSON carries both.</summary>
public sealed class RolloutGateViewTests
{
    private static Rollout Planned(params string[] gates)
    {
        var strategy = new RolloutStrategySummary { BatchSize = "1", PauseBetweenBatches = "0s", FailureThreshold = "1", OnFailure = "pause" };
        strategy.Gates.AddRange(gates);
        return new Rollout { Id = "r1", Recipe = "install-cni v1.1.1", BatchCount = 2, Strategy = strategy };
    }

    [Fact]
    public void Plan_ListsTheGatesInOrder()
    {
        var w = new StringWriter();
        RolloutViews.PrintPlan(w, RolloutView.From(Planned("soak 10m", "http GET http://127.0.0.1:8080/ready answers 200")));
        Assert.Contains("gates (after every batch, and before the rollout succeeds):\n  1. soak 10m\n  2. http GET http://127.0.0.1:8080/ready answers 200\n", w.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Plan_WithoutGates_HasNoGatesLine_AndJsonAnEmptyList()
    {
        var w = new StringWriter();
        var view = RolloutView.From(Planned());
        RolloutViews.PrintPlan(w, view);
        Assert.DoesNotContain("gates", w.ToString());
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(view, RolloutJson.Default.RolloutView));
        Assert.Equal(0, json.RootElement.GetProperty("strategy").GetProperty("gates").GetArrayLength());
        Assert.Equal("", json.RootElement.GetProperty("gate").GetString());
    }

    [Fact]
    public void Get_ShowsTheGateBeingChecked()
    {
        var rollout = Planned("soak 10m");
        rollout.State = RolloutState.Running;
        rollout.Gate = "soak 10m: until 2026-11-29 12:10:00Z";
        var w = new StringWriter();
        RolloutViews.PrintRollout(w, TerminalInfo.Piped, RolloutView.From(rollout), wide: false);
        Assert.Contains("  checking gate: soak 10m: until 2026-11-29 12:10:00Z\n", w.ToString().ReplaceLineEndings("\n"));
    }
}

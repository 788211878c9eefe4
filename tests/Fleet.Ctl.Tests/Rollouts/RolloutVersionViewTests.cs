using System.Text.Json;
using Fleet.Ctl.Output;
using Fleet.Ctl.Rollouts;
using Fleet.V1;

namespace Fleet.Ctl.Tests.Rollouts;

/// <summary>Each node's version change as fleetctl shows it (issue 16): a FROM → TO column in `rollout plan` and `rollout get`,
/// "0.9.0 → 0.9.1", "-" for a side that is unknown, no column for a rollout without versions, and both fields in -o json.</summary>
public sealed class RolloutVersionViewTests
{
    private static RolloutNode Node(string name, Arch arch, int batch, string from, string to, string description)
    {
        var node = new RolloutNode { Name = name, Arch = arch, Batch = batch, State = RolloutNodeState.Pending, FromVersion = from, ToVersion = to };
        node.Steps.Add(new RolloutStep { Index = 0, Kind = "upgrade-agent", Description = description, Url = $"https://pkg.example/{name}.deb", Sha256 = new string('a', 64), State = RolloutStepState.Pending, Phase = 1 });
        return node;
    }

    private static Rollout AgentUpgrade()
    {
        var rollout = new Rollout { Id = "r4", Recipe = "upgrade-agent 0.9.1", BatchCount = 2, State = RolloutState.Running, CurrentBatch = 1 };
        rollout.Strategy = new RolloutStrategySummary { BatchSize = "2", PauseBetweenBatches = "0s", FailureThreshold = "1", OnFailure = "pause", Prefetch = true, OnNodeFailure = "fail" };
        rollout.Nodes.Add(Node("pi1", Arch.Arm64, 1, "0.9.0", "0.9.1", "upgrade fleet-agent 0.9.0 → 0.9.1 (arm64); must report within 2m"));
        rollout.Nodes.Add(Node("odroid1", Arch.Arm, 1, "0.9.0", "0.9.1", "upgrade fleet-agent 0.9.0 → 0.9.1 (arm); must report within 2m"));
        rollout.Nodes.Add(Node("x1", Arch.Amd64, 2, "", "0.9.1", "upgrade fleet-agent"));
        return rollout;
    }

    [Fact]
    public void Plan_ShowsAFromToColumnPerNode()
    {
        var w = new StringWriter { NewLine = "\n" };

        RolloutViews.PrintPlan(w, RolloutView.From(AgentUpgrade()));

        var text = w.ToString();
        Assert.Contains("plan: upgrade-agent 0.9.1 on 3 node(s) in 2 batch(es)", text, StringComparison.Ordinal);
        var lines = text.Split('\n').ToList();
        var header = lines.FindIndex(l => l.StartsWith("NODE ", StringComparison.Ordinal));
        Assert.Equal(["NODE", "ARCH", "BATCH", "FROM → TO"], lines[header].Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(["pi1", "arm64", "1", "0.9.0 → 0.9.1"], lines[header + 1].Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(["odroid1", "arm", "1", "0.9.0 → 0.9.1"], lines[header + 2].Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(["x1", "amd64", "2", "- → 0.9.1"], lines[header + 3].Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); // unknown from: "-"
        Assert.Contains("  pi1 (arm64, 0.9.0 → 0.9.1)\n    1. upgrade fleet-agent 0.9.0 → 0.9.1 (arm64); must report within 2m\n       https://pkg.example/pi1.deb\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_NodesTable_HasFromTo_AfterBatch()
    {
        var table = RolloutViews.Nodes(RolloutView.From(AgentUpgrade()));

        Assert.Equal(["NODE", "ARCH", "BATCH", "FROM → TO", "STATE", "STEP", "DETAIL"], table.Columns.Select(c => c.Header));
        var lines = table.Lines(TerminalInfo.Piped).ToList();
        Assert.Contains("0.9.0 → 0.9.1", lines[1], StringComparison.Ordinal);
        Assert.Contains("- → 0.9.1", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Get_ARolloutWithoutVersions_HasNoFromToColumn_AndThePlanNoTable()
    {
        var rollout = new Rollout { Id = "r5", Recipe = "install-cni v1.1.1", BatchCount = 1, State = RolloutState.Running };
        rollout.Nodes.Add(Node("pi1", Arch.Arm64, 1, "", "", "install cni-plugins v1.1.1 (arm64) into /opt/cni/bin"));
        var view = RolloutView.From(rollout);
        var w = new StringWriter { NewLine = "\n" };

        RolloutViews.PrintPlan(w, view);

        Assert.DoesNotContain(RolloutViews.FromTo, RolloutViews.Nodes(view).Columns.Select(c => c.Header));
        Assert.DoesNotContain("FROM", w.ToString(), StringComparison.Ordinal);
        Assert.Contains("  pi1 (arm64)\n", w.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownTarget_IsADash()
    {
        var view = RolloutNodeView.From(new RolloutNode { Name = "pi1", Arch = Arch.Arm64, FromVersion = "0.9.0" });

        Assert.Equal("0.9.0 → -", view.VersionChange);
    }

    [Fact]
    public void Json_CarriesFromAndToVersion()
    {
        var json = JsonSerializer.Serialize(RolloutView.From(AgentUpgrade()), RolloutJson.Default.RolloutView);

        var pi1 = JsonDocument.Parse(json).RootElement.GetProperty("nodes")[0];
        Assert.Equal(("0.9.0", "0.9.1", "0.9.0 → 0.9.1"), (pi1.GetProperty("fromVersion").GetString(), pi1.GetProperty("toVersion").GetString(), pi1.GetProperty("versionChange").GetString()));
    }
}

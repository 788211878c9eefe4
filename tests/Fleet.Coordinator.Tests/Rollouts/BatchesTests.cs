using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

public class BatchesTests
{
    private static NodePlan Node(string name, bool controlPlane = false) =>
        new(new NodeRecord(name + "-id", name, new NodeFacts { NodeName = name }, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch), name, controlPlane, []);

    private static List<NodePlan> Workers(int n) => Enumerable.Range(1, n).Select(i => Node($"w{i:00}")).ToList();

    private static RolloutStrategy Strategy(string? batchSize = null, string? maxUnavailable = null, int canary = 0) =>
        RolloutStrategy.Default with
        {
            BatchSize = batchSize is null ? new(1, false) : Parse(batchSize),
            MaxUnavailable = maxUnavailable is null ? null : Parse(maxUnavailable),
            Canary = canary,
        };

    private static CountOrPercent Parse(string s) => s.EndsWith('%') ? new(int.Parse(s[..^1], System.Globalization.CultureInfo.InvariantCulture), true) : new(int.Parse(s, System.Globalization.CultureInfo.InvariantCulture), false);

    [Fact]
    public void Plan_TwentyPercentOfTen_GivesFiveBatchesOfTwo()
    {
        var batches = Batches.Plan(Workers(10), Strategy("20%"));

        Assert.Equal(5, batches.Count);
        Assert.All(batches, b => Assert.Equal(2, b.Nodes.Count));
        Assert.Equal(["w01", "w02"], batches[0].Nodes);
        Assert.Equal([1, 2, 3, 4, 5], batches.Select(b => b.Number));
    }

    [Fact]
    public void Plan_ControlPlaneFirstOneAtATime_ThenCanary_ThenBatches()
    {
        var nodes = Workers(5).Append(Node("cp2", controlPlane: true)).Append(Node("cp1", controlPlane: true)).ToList();

        var batches = Batches.Plan(nodes, Strategy("2", canary: 1));

        Assert.Equal([["cp1"], ["cp2"], ["w01"], ["w02", "w03"], ["w04", "w05"]], batches.Select(b => b.Nodes.ToArray()));
        Assert.Equal([1, 1, 1, 2, 2], batches.Select(b => b.Parallelism));
    }

    [Fact]
    public void Plan_MaxUnavailable_IsOneSlidingWindow()
    {
        var batches = Batches.Plan(Workers(7), Strategy(maxUnavailable: "3"));

        var batch = Assert.Single(batches);
        Assert.Equal(7, batch.Nodes.Count);
        Assert.Equal(3, batch.Parallelism);
    }

    [Fact]
    public void Plan_PercentRoundsUpToAtLeastOne()
    {
        Assert.Equal(3, Batches.Plan(Workers(3), Strategy("10%")).Count);
        Assert.Equal(1, new CountOrPercent(1, true).Of(5));
        Assert.Equal(2, new CountOrPercent(34, true).Of(5));
    }

    [Fact]
    public void Plan_WithHops_RepeatsTheBatchesForEachPhase_ControlPlaneFirstInEvery_NumberedOn()
    {
        var nodes = new List<NodePlan> { Node("w1"), Node("cp2", controlPlane: true), Node("w2"), Node("cp1", controlPlane: true), Node("w3") };

        var batches = Batches.Plan(nodes, Strategy("2"), [new Hop(1, "v1.13.4", "why"), new Hop(2, "v1.14.10")]);

        Assert.Equal(["1 p1 v1.13.4: cp1", "2 p1 v1.13.4: cp2", "3 p1 v1.13.4: w1 w2", "4 p1 v1.13.4: w3", "5 p2 v1.14.10: cp1", "6 p2 v1.14.10: cp2", "7 p2 v1.14.10: w1 w2", "8 p2 v1.14.10: w3"],
            batches.Select(b => $"{b.Number} p{b.Phase} {b.Version}: {string.Join(" ", b.Nodes)}"));
        Assert.Equal("why", batches[3].PhaseNote);
        Assert.Equal(new Dictionary<string, int> { ["cp1"] = 1, ["cp2"] = 2, ["w1"] = 3, ["w2"] = 3, ["w3"] = 4 }, Batches.FirstOf(batches));
    }

    [Fact]
    public void Plan_WithOneHop_IsThePlanWithoutPhases()
    {
        var batches = Batches.Plan(Workers(3), Strategy("2"), [new Hop(1, "v1.12.5")]);

        Assert.Equal(Batches.Plan(Workers(3), Strategy("2")).Select(b => (b.Number, string.Join(" ", b.Nodes))), batches.Select(b => (b.Number, string.Join(" ", b.Nodes))));
        Assert.All(batches, b => Assert.Equal((1, ""), (b.Phase, b.Version)));
    }

    [Fact]
    public void ABatchStoredBeforePhases_ReadsPhaseOne()
    {
        var batch = System.Text.Json.JsonSerializer.Deserialize<Batch>("""{"Number":3,"Nodes":["w1"],"Parallelism":1}""")!;

        Assert.Equal((3, 1, "", ""), (batch.Number, batch.Phase, batch.Version, batch.PhaseNote));
    }
}

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
}

using Fleet.Coordinator.Rollouts;

namespace Fleet.Coordinator.Tests.Rollouts;

public sealed class StrategySummaryTests
{
    [Fact]
    public void From_APlanWithFewKeys_FillsEveryDefault()
    {
        var (plan, problems) = PlanParser.Parse("target: {}\nstrategy: { maxUnavailable: 25%, pauseBetweenBatches: 1m30s, timeouts: { drain: 1d } }\nrecipe: { install-cni: { version: v1.1.1 } }");
        Assert.Empty(problems);

        var s = StrategySummary.From(plan!.Strategy);

        Assert.Equal(("", "25%", 0, "1m30s", "1", "pause", false), (s.BatchSize, s.MaxUnavailable, s.Canary, s.PauseBetweenBatches, s.FailureThreshold, s.OnFailure, s.KeepCordoned));
        Assert.Equal("1d", s.Timeouts["drain"]);
        Assert.Equal("10m", s.Timeouts["download"]);
        Assert.Equal(6, s.Timeouts.Count);
    }
}

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

    [Fact]
    public void From_APlan_ShowsPrefetch_AndEachWebhookByOriginSecretNameAndEvents_NeverItsPath()
    {
        var (plan, problems) = PlanParser.Parse("""
            target: {}
            strategy: { prefetch: false }
            recipe: { install-cni: { version: v1.1.1 } }
            notifications:
              webhooks:
                - { url: "https://hooks.example/T0KEN/fleet?sig=abc", secret: ops, events: [finished, paused] }
                - { url: "http://127.0.0.1:8081/hook", secret: team-b }
            """);
        Assert.Empty(problems);

        var s = StrategySummary.From(plan!);

        Assert.False(s.Prefetch);
        Assert.Equal(["https://hooks.example (secret ops; events paused, finished)", "http://127.0.0.1:8081 (secret team-b; events all)"], s.Webhooks);
        Assert.True(StrategySummary.From(PlanParser.Parse("target: {}\nrecipe: { install-cni: { version: v1.1.1 } }").Plan!).Prefetch);
    }
}

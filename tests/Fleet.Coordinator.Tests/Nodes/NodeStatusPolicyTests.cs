using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Nodes;
using Fleet.V1;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Coordinator.Tests.Nodes;

public class NodeStatusPolicyTests
{
    private static readonly CoordinatorOptions Options = new() { HeartbeatInterval = TimeSpan.FromSeconds(5), StaleAfterMissed = 3, OfflineAfterMissed = 10 };

    [Theory]
    [InlineData(0, NodeStatus.Online)]
    [InlineData(15, NodeStatus.Online)]    // exactly 3 intervals: not yet missed three
    [InlineData(15.001, NodeStatus.Stale)]
    [InlineData(50, NodeStatus.Stale)]
    [InlineData(50.001, NodeStatus.Offline)]
    [InlineData(86400, NodeStatus.Offline)]
    public void StatusOf_SilenceAgainstMissedHeartbeats(double silentSeconds, NodeStatus expected)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-25T12:00:00Z"));
        var policy = new NodeStatusPolicy(Options, time);
        var lastSeen = time.GetUtcNow();
        time.Advance(TimeSpan.FromSeconds(silentSeconds));

        Assert.Equal(expected, policy.StatusOf(lastSeen));
    }

    [Fact]
    public void StatusOf_FollowsTheConfiguredThresholds()
    {
        var time = new FakeTimeProvider();
        var policy = new NodeStatusPolicy(new CoordinatorOptions { HeartbeatInterval = TimeSpan.FromSeconds(1), StaleAfterMissed = 1, OfflineAfterMissed = 2 }, time);
        var lastSeen = time.GetUtcNow();

        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(NodeStatus.Stale, policy.StatusOf(lastSeen));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(NodeStatus.Offline, policy.StatusOf(lastSeen));
    }
}

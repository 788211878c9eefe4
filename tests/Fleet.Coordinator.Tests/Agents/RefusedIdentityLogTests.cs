using Fleet.Coordinator.Agents;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>A refused certificate is logged once per node per interval, on the coordinator's (faked) clock, with a bounded memory.</summary>
public sealed class RefusedIdentityLogTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public void ShouldLog_ManyRefusalsOfOneNode_OneLinePerInterval_TheNextCountsTheOthers()
    {
        var log = new RefusedIdentityLog(new RefusedIdentityLogOptions { Interval = TimeSpan.FromMinutes(10) }, _time);

        var logged = Enumerable.Range(0, 50).Count(_ => log.ShouldLog("node-a", out _));
        _time.Advance(TimeSpan.FromMinutes(9));
        logged += Enumerable.Range(0, 50).Count(_ => log.ShouldLog("node-a", out _));
        Assert.Equal(1, logged);

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(log.ShouldLog("node-a", out var suppressed));
        Assert.Equal(99, suppressed);
        Assert.False(log.ShouldLog("node-a", out _));
    }

    [Fact]
    public void ShouldLog_EachNodeHasItsOwnInterval()
    {
        var log = new RefusedIdentityLog(new RefusedIdentityLogOptions(), _time);

        Assert.True(log.ShouldLog("node-a", out _));
        Assert.True(log.ShouldLog("node-b", out _));
        Assert.False(log.ShouldLog("node-a", out _));
        Assert.False(log.ShouldLog("node-b", out _));
    }

    [Fact]
    public void ShouldLog_AFloodOfDistinctCertificates_NeverRemembersMoreThanTheBound()
    {
        var log = new RefusedIdentityLog(new RefusedIdentityLogOptions { MaxRemembered = 100 }, _time);

        for (var i = 0; i < 10_000; i++)
        {
            log.ShouldLog($"flood-{i}", out _);
            Assert.InRange(log.Count, 1, 100);
        }

        // The newest are remembered (held back), the oldest forgotten (logged again).
        Assert.False(log.ShouldLog("flood-9999", out _));
        Assert.True(log.ShouldLog("flood-0", out _));
    }

    [Fact]
    public void ShouldLog_ANodeStillRefusedAfterAFlood_IsHeldBackWhileItKeepsBeingLogged()
    {
        var log = new RefusedIdentityLog(new RefusedIdentityLogOptions { MaxRemembered = 10, Interval = TimeSpan.FromMinutes(10) }, _time);
        Assert.True(log.ShouldLog("removed-node", out _));
        for (var i = 0; i < 9; i++)
        {
            log.ShouldLog($"other-{i}", out _);
        }

        Assert.False(log.ShouldLog("removed-node", out _));
        Assert.Equal(10, log.Count);
    }
}

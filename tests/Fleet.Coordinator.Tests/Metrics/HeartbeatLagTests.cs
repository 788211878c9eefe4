using Fleet.Coordinator.Metrics;
using Fleet.Coordinator.Tests.Agents;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Coordinator.Tests.Metrics;

/// <summary>fleet_heartbeat_lag_seconds: how far behind the coordinator records heartbeats (the benchmarks' "late").</summary>
public sealed class HeartbeatLagTests : CoordinatorTest
{
    [Fact]
    public async Task Heartbeat_SentThreeSecondsAgo_LandsAboveTheOneSecondBucket()
    {
        using var agent = new RawAgent(Coordinator, await Coordinator.EnrollAsync("node-a"));
        await agent.SendAsync(RawAgent.Hello("node-a"));
        await agent.ReadAsync().DefaultTimeout();

        await agent.SendAsync(new Heartbeat { SentAt = Timestamp.FromDateTime(DateTime.UtcNow.AddSeconds(-3)), Health = new HealthSample() });
        await agent.SendAsync(new Heartbeat { Health = new HealthSample() }); // no sent_at: counted as received, not as lag

        var metrics = await Eventually.Until(ScrapeAsync, m => m.Contains("fleet_heartbeats_received_total 2", StringComparison.Ordinal), "both heartbeats are recorded");
        Assert.Contains("fleet_heartbeat_lag_seconds_count 1", metrics);
        Assert.Contains("fleet_heartbeat_lag_seconds_bucket{le=\"1\"} 0", metrics);
        Assert.Contains("fleet_heartbeat_lag_seconds_bucket{le=\"30\"} 1", metrics);
    }

    [Fact]
    public void AgentClockAhead_CountsAsNoLag()
    {
        var metrics = Coordinator.Service<FleetMetrics>();
        var now = DateTimeOffset.UtcNow;

        metrics.ObserveHeartbeatLag(now.AddSeconds(2), now);

        Assert.Equal(1, metrics.HeartbeatLag.Count);
        Assert.Equal(0, metrics.HeartbeatLag.Sum);
    }

    private async Task<string> ScrapeAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{Coordinator.Options.MetricsListen!.Port}/metrics"));
    }
}

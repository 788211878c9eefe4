using Fleet.Coordinator.Agents;

namespace Fleet.Coordinator.Tests.Agents;

public sealed class AgentLimitsTests
{
    [Theory]
    [InlineData(5, 16)] // the default interval: 10 + 30 s / 5 s
    [InlineData(1, 40)] // a 1 s interval queues up to 30 heartbeats before the agent's keepalive gives up
    [InlineData(60, 11)]
    public void HeartbeatCapacity_MakesRoomForTheHeartbeatsQueuedBehindADeadLink(int intervalSeconds, int capacity)
    {
        var limits = new AgentLimits();

        Assert.Equal(capacity, limits.HeartbeatCapacity(TimeSpan.FromSeconds(intervalSeconds)));
        Assert.Equal(TimeSpan.FromSeconds(30), AgentKeepAlive.SilenceHorizon);
    }
}

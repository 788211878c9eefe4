using Fleet.Agent.Health;
using Fleet.V1;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Agent.Tests.Health;

public sealed class ClockCheckTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Check_NoObservation_IsUnknown()
    {
        var check = await new ClockCheck(new ClockOffset(_time)).CheckAsync(CancellationToken.None);

        Assert.Equal("clock", check.Name);
        Assert.Equal(HealthStatus.Unknown, check.Status);
    }

    [Theory]
    [InlineData(200, HealthStatus.Ok, "offset +200 ms from the coordinator")]
    [InlineData(-999, HealthStatus.Ok, "offset -999 ms from the coordinator")]
    [InlineData(0, HealthStatus.Ok, "offset 0 ms from the coordinator")]
    [InlineData(1000, HealthStatus.Warning, "offset +1000 ms from the coordinator")]
    [InlineData(5000, HealthStatus.Warning, "offset +5000 ms from the coordinator")]
    [InlineData(-5000, HealthStatus.Warning, "offset -5000 ms from the coordinator")]
    [InlineData(30000, HealthStatus.Failing, "offset +30000 ms from the coordinator")]
    [InlineData(60000, HealthStatus.Failing, "offset +60000 ms from the coordinator")]
    [InlineData(-60000, HealthStatus.Failing, "offset -60000 ms from the coordinator")]
    public async Task Check_Offset_GivesStatus(int offsetMs, HealthStatus expected, string reason)
    {
        var clock = new ClockOffset(_time);
        clock.Observe(_time.GetUtcNow() + TimeSpan.FromMilliseconds(offsetMs));

        var check = await new ClockCheck(clock).CheckAsync(CancellationToken.None);

        Assert.Equal(expected, check.Status);
        Assert.Equal(reason, check.Reason);
    }

    [Fact]
    public void Observe_RecordsOffsetAndLocalTime()
    {
        var clock = new ClockOffset(_time);
        var now = _time.GetUtcNow();

        clock.Observe(now - TimeSpan.FromSeconds(3));

        Assert.Equal((TimeSpan.FromSeconds(-3), now), clock.Last);
    }

    [Fact]
    public async Task Check_LatestObservation_Wins()
    {
        var clock = new ClockOffset(_time);
        clock.Observe(_time.GetUtcNow() + TimeSpan.FromSeconds(60));
        _time.Advance(TimeSpan.FromSeconds(5));
        clock.Observe(_time.GetUtcNow() + TimeSpan.FromMilliseconds(200));

        var check = await new ClockCheck(clock).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Ok, check.Status);
    }
}

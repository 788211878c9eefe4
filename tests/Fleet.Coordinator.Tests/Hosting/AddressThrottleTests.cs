using System.Net;
using Fleet.Coordinator.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Coordinator.Tests.Hosting;

public sealed class AddressThrottleTests
{
    [Fact]
    public void Admit_MoreThanTheLimitInOneSecond_TurnsAwayThatAddressOnly()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddSeconds(1000));
        var throttle = new AddressThrottle(3, time);
        var flooder = IPAddress.Parse("10.0.0.9");
        var other = IPAddress.Parse("10.0.0.10");

        Assert.Equal([true, true, true, false, false], Enumerable.Range(0, 5).Select(_ => throttle.Admit(flooder)));
        Assert.True(throttle.Admit(other));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(throttle.Admit(flooder));
    }
}

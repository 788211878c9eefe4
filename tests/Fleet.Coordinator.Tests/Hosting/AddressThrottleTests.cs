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

    /// <summary>Issue 12, finding 12: one host holds a whole IPv6 /64; walking through it does not reset the budget.</summary>
    [Fact]
    public void Admit_AddressesOfOneIpv6Slash64_ShareOneBudget()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddSeconds(1000));
        var throttle = new AddressThrottle(3, time);
        var walk = Enumerable.Range(1, 5).Select(i => IPAddress.Parse($"2001:db8:1:2::{i:x}")).ToList();

        Assert.Equal([true, true, true, false, false], walk.Select(throttle.Admit));
        Assert.False(throttle.Admit(IPAddress.Parse("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        Assert.True(throttle.Admit(IPAddress.Parse("2001:db8:1:3::1"))); // the next /64 is another source
        Assert.Equal(2, throttle.Tracked);
    }

    [Fact]
    public void Admit_Ipv4MappedIpv6_CountsAsTheIpv4Address()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddSeconds(1000));
        var throttle = new AddressThrottle(2, time);

        Assert.True(throttle.Admit(IPAddress.Parse("10.0.0.9")));
        Assert.True(throttle.Admit(IPAddress.Parse("::ffff:10.0.0.9")));
        Assert.False(throttle.Admit(IPAddress.Parse("10.0.0.9").MapToIPv6()));
        Assert.Equal(AddressThrottle.SourceOf(IPAddress.Parse("10.0.0.9")), AddressThrottle.SourceOf(IPAddress.Parse("::ffff:10.0.0.9")));
        Assert.NotEqual(AddressThrottle.SourceOf(IPAddress.Parse("::a00:9")), AddressThrottle.SourceOf(IPAddress.Parse("10.0.0.9"))); // an IPv6 address never aliases an IPv4 one
    }

    /// <summary>Issue 12, finding 12: memory and work per check stay bounded however many sources flood at once.</summary>
    [Fact]
    public void Admit_MoreSourcesThanTracked_RefusesNewSourcesAndForgetsThemNextSecond()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddSeconds(1000));
        var throttle = new AddressThrottle(3, time);
        for (var i = 0; i < AddressThrottle.MaxTracked; i++)
        {
            Assert.True(throttle.Admit(new IPAddress(BitConverter.GetBytes(0x0a000000 + i))));
        }

        Assert.False(throttle.Admit(IPAddress.Parse("192.0.2.1")));   // table full: a new source is refused this second
        Assert.True(throttle.Admit(new IPAddress(BitConverter.GetBytes(0x0a000000)))); // a tracked one still has its budget
        Assert.Equal(AddressThrottle.MaxTracked, throttle.Tracked);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(throttle.Admit(IPAddress.Parse("192.0.2.1")));
        Assert.Equal(1, throttle.Tracked);
    }
}

using Fleet.Agent.Health;
using Fleet.V1;

namespace Fleet.Agent.Tests.Health;

public sealed class LoadCheckTests : IDisposable
{
    private readonly FixtureRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData("0.10", "0-3", HealthStatus.Ok)]
    [InlineData("7.99", "0-3", HealthStatus.Ok)]
    [InlineData("8.00", "0-3", HealthStatus.Warning)]
    [InlineData("15.99", "0-3", HealthStatus.Warning)]
    [InlineData("16.00", "0-3", HealthStatus.Failing)]
    [InlineData("3.00", "0", HealthStatus.Warning)]
    [InlineData("4.00", "0", HealthStatus.Failing)]
    [InlineData("9.00", "0-3,6", HealthStatus.Ok)]
    public async Task Check_FiveMinuteLoadPerCpu_GivesStatus(string five, string online, HealthStatus expected)
    {
        // The 1- and 15-minute averages are high on purpose: only the 5-minute one counts.
        _root.Write("/proc/loadavg", $"99.00 {five} 99.00 3/512 4242\n");
        _root.Write("/sys/devices/system/cpu/online", online + "\n");

        var check = await new LoadCheck(_root.Paths()).CheckAsync(CancellationToken.None);

        Assert.Equal("load", check.Name);
        Assert.Equal(expected, check.Status);
        Assert.Contains($"99.00 {five} 99.00", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ReasonNamesCpuCount()
    {
        _root.Write("/proc/loadavg", "0.50 0.25 0.10 1/100 1\n");
        _root.Write("/sys/devices/system/cpu/online", "0-3\n");

        var check = await new LoadCheck(_root.Paths()).CheckAsync(CancellationToken.None);

        Assert.Equal("load 0.50 0.25 0.10 on 4 CPUs", check.Reason);
    }

    [Fact]
    public async Task Check_NoLoadAvg_IsUnknown()
    {
        _root.Write("/sys/devices/system/cpu/online", "0-3\n");

        var check = await new LoadCheck(_root.Paths()).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Unknown, check.Status);
        Assert.Contains("/proc/loadavg", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_NoCpuList_IsUnknownWithLoad()
    {
        _root.Write("/proc/loadavg", "40.00 40.00 40.00 1/100 1\n");

        var check = await new LoadCheck(_root.Paths()).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Unknown, check.Status);
        Assert.Contains("40.00", check.Reason, StringComparison.Ordinal);
        Assert.Contains("CPU count", check.Reason, StringComparison.Ordinal);
    }
}

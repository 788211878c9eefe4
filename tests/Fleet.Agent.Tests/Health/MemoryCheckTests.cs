using Fleet.Agent.Health;
using Fleet.V1;

namespace Fleet.Agent.Tests.Health;

public sealed class MemoryCheckTests : IDisposable
{
    private readonly FixtureRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData(500000, HealthStatus.Ok)]
    [InlineData(100000, HealthStatus.Ok)]
    [InlineData(80000, HealthStatus.Warning)]
    [InlineData(50000, HealthStatus.Warning)]
    [InlineData(30000, HealthStatus.Failing)]
    public async Task Check_AvailableFraction_GivesStatus(long availableKb, HealthStatus expected)
    {
        _root.Write("/proc/meminfo", $"MemTotal:        1000000 kB\nMemFree:           10000 kB\nMemAvailable:    {availableKb} kB\n");

        var check = await new MemoryCheck(_root.Paths()).CheckAsync(CancellationToken.None);

        Assert.Equal("memory", check.Name);
        Assert.Equal(expected, check.Status);
        Assert.Contains($"({availableKb / 10000}%)", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_HalfAvailable_ReasonNamesSizesAndSwap()
    {
        _root.Write("/proc/meminfo", "MemTotal: 4194304 kB\nMemAvailable: 2097152 kB\nSwapTotal: 1048576 kB\nSwapFree: 524288 kB\n");

        var check = await new MemoryCheck(_root.Paths()).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Ok, check.Status);
        Assert.Equal("2 GiB available of 4 GiB (50%), swap 512 MiB used", check.Reason);
    }

    [Fact]
    public async Task Check_MissingFile_IsUnknown()
    {
        var check = await new MemoryCheck(_root.Paths()).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Unknown, check.Status);
        Assert.Contains("/proc/meminfo", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_NoMemAvailable_IsUnknown()
    {
        _root.Write("/proc/meminfo", "MemTotal: 1000000 kB\nMemFree: 10 kB\n");

        var check = await new MemoryCheck(_root.Paths()).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Unknown, check.Status);
        Assert.Contains("MemAvailable", check.Reason, StringComparison.Ordinal);
    }
}

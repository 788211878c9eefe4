using Fleet.Agent.Health;
using Fleet.V1;

namespace Fleet.Agent.Tests.Health;

public sealed class DiskCheckTests : IDisposable
{
    private readonly FixtureRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Check_ExistingFolder_ReportsFreeSpaceOnNodePath()
    {
        _root.CreateDirectory("/var/lib/fleet-agent");

        var check = await new DiskCheck("disk-state", "/var/lib/fleet-agent", _root.Paths()).CheckAsync(CancellationToken.None);

        Assert.Equal("disk-state", check.Name);
        Assert.Contains(check.Status, new[] { HealthStatus.Ok, HealthStatus.Warning, HealthStatus.Failing });
        Assert.Matches(@"^\S.* free of .* \(\d+%\) on /var/lib/fleet-agent$", check.Reason);
        Assert.DoesNotContain(_root.Root, check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_Root_ReportsSlash()
    {
        var check = await new DiskCheck("disk-root", "/", _root.Paths()).CheckAsync(CancellationToken.None);

        Assert.NotEqual(HealthStatus.Unknown, check.Status);
        Assert.EndsWith(" on /", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingFolder_IsUnknown()
    {
        var check = await new DiskCheck("disk-state", "/var/lib/fleet-agent", _root.Paths()).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Unknown, check.Status);
        Assert.Equal("/var/lib/fleet-agent does not exist", check.Reason);
    }
}

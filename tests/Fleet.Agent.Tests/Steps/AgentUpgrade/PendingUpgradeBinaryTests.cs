using Fleet.Agent.Steps.AgentUpgrade;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>
/// The pending record of a bare install (mode=binary, base=BASE) as the agent reads it (the watchdog's
/// twin checks: <see cref="UpgradeWatchdogBinaryModeTests"/>): the round trip, and hostile mode, base and
/// paths refused naming the value.
/// </summary>
public sealed class PendingUpgradeBinaryTests
{
    private const string Cache = "/var/lib/fleet-agent/agent-packages";
    private const string Base = "/opt/fleet-agent";

    private static readonly PendingUpgrade Record = new("r7-abc-node-1-0", "r7", "0.9.0", "0.9.1", $"{Base}/versions/0.9.1/fleet-agent", $"{Base}/versions/0.9.0/fleet-agent", 120, 1780000000, Base);

    [Fact]
    public void FormatAndParse_RoundTrip_WithModeAndBase()
    {
        var text = Record.Format();

        Assert.EndsWith("\nmode=binary\nbase=/opt/fleet-agent\n", text);
        Assert.Equal(Record, PendingUpgrade.Parse(text, Cache));
        Assert.True(PendingUpgrade.Parse(text, Cache).IsBinary);
    }

    [Fact]
    public void Format_OfAPackageUpgrade_HasNoModeOrBase()
    {
        var deb = new PendingUpgrade("s", "", "0.9.0", "0.9.1", $"{Cache}/fleet-agent_0.9.1_amd64.deb", $"{Cache}/fleet-agent_0.9.0_amd64.deb", 120, 1);

        Assert.DoesNotContain("mode=", deb.Format());
        Assert.False(PendingUpgrade.Parse(deb.Format(), Cache).IsBinary);
    }

    [Theory]
    [InlineData("mode", "rpm", "mode: \"rpm\" is not deb or binary")]
    [InlineData("mode", "deb", "base is given, but mode is not binary")]
    [InlineData("base", "opt/fleet-agent", "base: \"opt/fleet-agent\" is not an absolute path")]
    [InlineData("base", "/", "base: \"/\" is not an absolute path")]
    [InlineData("base", "/opt/../etc", "base: \"/opt/../etc\" is not an absolute path")]
    [InlineData("base", "/opt/./fleet-agent", "base: \"/opt/./fleet-agent\" is not an absolute path")]
    [InlineData("base", "/opt//fleet-agent", "base: \"/opt//fleet-agent\" is not an absolute path")]
    [InlineData("base", "/opt/fleet-agent/", "base: \"/opt/fleet-agent/\" is not an absolute path")]
    [InlineData("base", "/opt/fleet agent", "base: \"/opt/fleet agent\" is not an absolute path")]
    [InlineData("base", "/opt/$(reboot)", "base: \"/opt/$(reboot)\" is not an absolute path")]
    [InlineData("package", "/usr/bin/fleet-agent", "package: \"/usr/bin/fleet-agent\" is not /opt/fleet-agent/versions/0.9.1/fleet-agent")]
    [InlineData("package", "/opt/fleet-agent/versions/0.9.1/../0.8.0/fleet-agent", "package: \"/opt/fleet-agent/versions/0.9.1/../0.8.0/fleet-agent\" is not /opt/fleet-agent/versions/0.9.1/fleet-agent")]
    [InlineData("previous", "/opt/fleet-agent/versions/0.8.0/fleet-agent", "previous: \"/opt/fleet-agent/versions/0.8.0/fleet-agent\" is not /opt/fleet-agent/versions/0.9.0/fleet-agent")]
    public void Parse_HostileValue_RefusedNamingIt(string key, string value, string problem)
    {
        var lines = Record.Format().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith(key + "=", StringComparison.Ordinal));
        var text = string.Join('\n', lines) + $"\n{key}={value}\n";

        var ex = Assert.Throws<InvalidDataException>(() => PendingUpgrade.Parse(text, Cache));

        Assert.StartsWith(problem, ex.Message);
    }

    [Fact]
    public void Parse_BinaryWithoutBase_Refused()
    {
        var text = string.Concat(Record.Format().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("base=", StringComparison.Ordinal)).Select(l => l + "\n"));

        Assert.Equal("base is missing", Assert.Throws<InvalidDataException>(() => PendingUpgrade.Parse(text, Cache)).Message);
    }
}

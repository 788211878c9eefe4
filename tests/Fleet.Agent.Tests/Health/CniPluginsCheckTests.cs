using Fleet.Agent.Facts;
using Fleet.Agent.Health;
using Fleet.V1;

namespace Fleet.Agent.Tests.Health;

public sealed class CniPluginsCheckTests : IDisposable
{
    private readonly FixtureRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Check_AllPresent_IsOk()
    {
        foreach (var plugin in new[] { "bridge", "host-local", "loopback", "portmap", "flannel" })
        {
            _root.Write($"/opt/cni/bin/{plugin}", "", FixtureRoot.Executable);
        }

        var check = await Check();

        Assert.Equal("cni-plugins", check.Name);
        Assert.Equal(HealthStatus.Ok, check.Status);
        Assert.Equal("loopback, portmap, bridge, host-local present in /opt/cni/bin", check.Reason);
    }

    [Fact]
    public async Task Check_Missing_IsFailingNamingTheMissing()
    {
        _root.Write("/opt/cni/bin/loopback", "", FixtureRoot.Executable);
        _root.Write("/opt/cni/bin/portmap", "", FixtureRoot.Executable);
        _root.Write("/opt/cni/bin/bridge", "", FixtureRoot.Regular); // not executable: not a plugin

        var check = await Check();

        Assert.Equal(HealthStatus.Failing, check.Status);
        Assert.Equal("missing from /opt/cni/bin: bridge, host-local", check.Reason);
    }

    [Fact]
    public async Task Check_NoCniFolder_IsFailingNamingAll()
    {
        var check = await Check();

        Assert.Equal(HealthStatus.Failing, check.Status);
        Assert.Equal("missing from /opt/cni/bin: loopback, portmap, bridge, host-local", check.Reason);
    }

    [Fact]
    public async Task Check_ConfiguredRequiredPlugins_AreTheOnesChecked()
    {
        _root.Write("/opt/cni/bin/loopback", "", FixtureRoot.Executable);
        var options = _root.Options();
        options.RequiredCniPlugins = ["loopback"];

        var check = await new CniPluginsCheck(options, new CniPlugins(_root.Paths(options))).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Ok, check.Status);
    }

    private Task<HealthCheck> Check()
    {
        var options = _root.Options();
        return new CniPluginsCheck(options, new CniPlugins(_root.Paths(options))).CheckAsync(CancellationToken.None);
    }
}

using Fleet.Agent.Health;
using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Tests.Health;

public sealed class KubeletCheckTests : IDisposable
{
    private readonly FixtureRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Check_NoSystemctl_IsUnknown()
    {
        var check = await Check();

        Assert.Equal("kubelet", check.Name);
        Assert.Equal(HealthStatus.Unknown, check.Status);
        Assert.Equal($"no systemctl at {_root.Resolve("/usr/bin/systemctl")}", check.Reason);
    }

    [Fact]
    public async Task Check_BareNameNotOnPath_IsUnknown()
    {
        var options = _root.Options();
        options.SystemctlPath = "fleet-no-such-systemctl";

        var check = await new KubeletCheck(options, new ProcessRunner()).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Unknown, check.Status);
        Assert.Equal("no fleet-no-such-systemctl on PATH", check.Reason);
    }

    [Fact]
    public async Task Check_TheSystemctlDouble_IsOkAndRecordsTheQuery()
    {
        using var dir = new Fleet.Testing.TempDir();
        var doubles = new Fleet.Testing.TestDoubles(dir.Path, _root.Root);
        var options = _root.Options();
        options.SystemctlPath = doubles.Systemctl;

        var check = await new KubeletCheck(options, new ProcessRunner()).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Ok, check.Status);
        Assert.Equal("kubelet.service active (running)", check.Reason);
        Assert.Equal(["show kubelet.service --property=LoadState,ActiveState,SubState"], doubles.Calls("systemctl"));
    }

    [Fact]
    public async Task Check_Active_IsOkAndAsksSystemctlForTheUnit()
    {
        var argsFile = WriteSystemctl("LoadState=loaded", "ActiveState=active", "SubState=running");

        var check = await Check();

        Assert.Equal(HealthStatus.Ok, check.Status);
        Assert.Equal("kubelet.service active (running)", check.Reason);
        Assert.Equal("show kubelet.service --property=LoadState,ActiveState,SubState\n", File.ReadAllText(argsFile));
    }

    [Fact]
    public async Task Check_Failed_IsFailing()
    {
        WriteSystemctl("LoadState=loaded", "ActiveState=failed", "SubState=failed");

        var check = await Check();

        Assert.Equal(HealthStatus.Failing, check.Status);
        Assert.Equal("kubelet.service failed (failed)", check.Reason);
    }

    [Fact]
    public async Task Check_Inactive_IsFailing()
    {
        WriteSystemctl("LoadState=loaded", "ActiveState=inactive", "SubState=dead");

        var check = await Check();

        Assert.Equal(HealthStatus.Failing, check.Status);
    }

    [Fact]
    public async Task Check_NotFound_IsUnknown()
    {
        WriteSystemctl("LoadState=not-found", "ActiveState=inactive", "SubState=dead");

        var check = await Check();

        Assert.Equal(HealthStatus.Unknown, check.Status);
        Assert.Contains("not installed", check.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("activating", "auto-restart")]
    [InlineData("reloading", "running")]
    [InlineData("deactivating", "stop-sigterm")]
    public async Task Check_Activating_IsWarning(string active, string sub)
    {
        WriteSystemctl("LoadState=loaded", $"ActiveState={active}", $"SubState={sub}");

        var check = await Check();

        Assert.Equal(HealthStatus.Warning, check.Status);
        Assert.Equal($"kubelet.service {active} ({sub})", check.Reason);
    }

    [Fact]
    public async Task Check_SystemctlFails_IsUnknownWithItsError()
    {
        _root.WriteScript("/usr/bin/systemctl", "echo 'System has not been booted with systemd as init system (PID 1).' >&2; exit 1");

        var check = await Check();

        Assert.Equal(HealthStatus.Unknown, check.Status);
        Assert.Contains("exited 1", check.Reason, StringComparison.Ordinal);
        Assert.Contains("not been booted with systemd", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ConfiguredSystemctlPath_IsUsed()
    {
        _root.WriteScript("/bin/systemctl", "printf 'LoadState=loaded\\nActiveState=active\\nSubState=running\\n'");
        var options = _root.Options();
        options.SystemctlPath = _root.Resolve("/bin/systemctl");

        var check = await new KubeletCheck(options, new ProcessRunner()).CheckAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Ok, check.Status);
    }

    /// <summary>A systemctl that records its arguments and prints the given properties; returns the arguments file.</summary>
    private string WriteSystemctl(params string[] lines)
    {
        var argsFile = _root.Resolve("/systemctl-args");
        _root.WriteScript("/usr/bin/systemctl", $"""
            echo "$@" >> '{argsFile}'
            printf '{string.Join("\\n", lines)}\n'
            """);
        return argsFile;
    }

    private Task<HealthCheck> Check()
    {
        var options = _root.Options();
        options.SystemctlPath = _root.Resolve("/usr/bin/systemctl"); // programs are host paths, not under --root
        return new KubeletCheck(options, new ProcessRunner()).CheckAsync(CancellationToken.None);
    }
}

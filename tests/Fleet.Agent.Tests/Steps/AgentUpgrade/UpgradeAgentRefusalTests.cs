using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>
/// Every refusal of a new agent upgrade: a clear error naming the problem, and nothing changed: no
/// package left in the cache, no pending record, no watchdog started.
/// </summary>
public sealed class UpgradeAgentRefusalTests : IAsyncLifetime
{
    private UpgradeHarness _h = null!;

    public async Task InitializeAsync() => _h = await UpgradeHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    public static TheoryData<string, string, string> WrongControlFields => new()
    {
        { "fleet-agenx", UpgradeHarness.To, "amd64" },
        { "fleet-agent", UpgradeHarness.To, "arm64" },
        { "fleet-agent", "0.9.2", "amd64" },
    };

    [Theory]
    [MemberData(nameof(WrongControlFields))]
    public async Task Run_ControlFieldNotAsExpected_RefusedNamingTheField_NothingLeft(string package, string version, string architecture)
    {
        var sha = _h.Artifacts.Serve("odd.deb", Debs.Build(package, version, architecture));

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request(_h.Package(name: "odd.deb", sha: sha)))).DefaultTimeout();

        var field = package != "fleet-agent" ? $"Package is \"{package}\", expected \"fleet-agent\""
            : architecture != "amd64" ? $"Architecture is \"{architecture}\", expected \"amd64\""
            : $"Version is \"{version}\", expected \"0.9.1\"";
        Assert.Contains("is not the fleet-agent 0.9.1 package for amd64: " + field, ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_NotADebAtAll_RefusedByDpkgDeb_NothingLeft()
    {
        var sha = _h.Artifacts.Serve("text.deb", "#!/bin/sh\necho this is no package\n"u8.ToArray());

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request(_h.Package(name: "text.deb", sha: sha)))).DefaultTimeout();

        Assert.Contains("is not a readable Debian package: dpkg-deb --field exited with code 2", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_Sha256Mismatch_Refused_NothingLeft()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request(_h.Package(sha: _h.OldSha)))).DefaultTimeout();

        Assert.StartsWith($"checksum mismatch for {_h.Artifacts.Server.Url("/files/fleet-agent_0.9.1_amd64.deb")}: expected sha256 {_h.OldSha}", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_OverTheSizeCap_Refused_NothingLeft()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request(_h.Package(maxBytes: 100)))).DefaultTimeout();

        var size = new FileInfo(Path.Join(_h.Artifacts.Server.Root, "fleet-agent_0.9.1_amd64.deb")).Length;
        Assert.Equal($"{_h.Artifacts.Server.Url("/files/fleet-agent_0.9.1_amd64.deb")} is {size} bytes, over the size cap of 100 bytes", ex.Message);
        AssertNothingChanged();
    }

    [Theory]
    [InlineData("0.9.1; rm -rf /")]
    [InlineData("../x")]
    [InlineData("")]
    [InlineData("v0.9.1")]
    [InlineData("0.9.1-1")]
    public async Task Run_HostileVersion_RefusedBeforeAnyFileOrProgram(string version)
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request(_h.Package(version, name: "fleet-agent_0.9.1_amd64.deb", sha: _h.NewSha)))).DefaultTimeout();

        Assert.Equal($"refusing to upgrade the agent: package.version: \"{version}\" is not a version X.Y.Z; nothing was changed", ex.Message);
        Assert.False(Directory.Exists(_h.Folder.Dir));
        Assert.False(Directory.Exists(_h.Folder.CacheDir));
        Assert.Empty(_h.Doubles.Calls("dpkg-query"));
        Assert.Equal(0, _h.Artifacts.Server.Requests("/files/fleet-agent_0.9.1_amd64.deb"));
    }

    [Fact]
    public async Task Run_HostilePreviousVersion_Refused()
    {
        var previous = _h.Package(UpgradeHarness.From);
        previous.Version = "0.9.0\nstep=evil";

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request(previous: previous))).DefaultTimeout();

        Assert.StartsWith("refusing to upgrade the agent: previous.version: \"0.9.0\nstep=evil\" is not a version X.Y.Z", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_HostileStepId_Refused()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request(id: "r7\nto=9.9.9"))).DefaultTimeout();

        Assert.StartsWith("refusing to upgrade the agent: the step id \"r7\nto=9.9.9\" is not an id", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_PackageForAnotherArch_Refused()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request(_h.Package(arch: Arch.Arm64)))).DefaultTimeout();

        Assert.Equal("refusing to upgrade the agent: package.arch: resolved for arm64, but this node is amd64; nothing was changed", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_PreviousIsNotTheRunningVersion_Refused()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request(), running: "0.8.0")).DefaultTimeout();

        Assert.Equal("refusing to upgrade the agent: previous.version is 0.9.0, but this agent runs 0.8.0; nothing was changed", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_AgentInASandboxRoot_Refused()
    {
        _h.Artifacts.Options.Root = _h.Artifacts.Root.Root;

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request())).DefaultTimeout();

        Assert.StartsWith($"refusing to upgrade the agent: this agent runs with --root {_h.Artifacts.Root.Root}: dpkg installs onto the real /", ex.Message);
        AssertNothingChanged();
    }

    /// <summary>This machine's real dpkg-query knows no fleet-agent package: a real agent not installed from it.</summary>
    [Fact]
    public async Task Run_NotInstalledFromThePackage_RealDpkgQuery_Refused()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.Handler(dpkgQuery: "dpkg-query").RunAsync(_h.Request(), _h.Artifacts.Progress(), CancellationToken.None)).DefaultTimeout();

        Assert.StartsWith("refusing to upgrade the agent: this agent was not installed from the fleet-agent package (dpkg-query: exit code 1: dpkg-query: no packages found matching fleet-agent, not \"install ok installed 0.9.0\"): a deb upgrade needs the package; an agent installed side by side takes fleet-agent-binary", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_DpkgHasAnotherVersionThanTheRunningAgent_Refused()
    {
        _h.Doubles.Installed("0.8.0");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request())).DefaultTimeout();

        Assert.Contains("(dpkg-query: install ok installed 0.8.0, not \"install ok installed 0.9.0\")", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_AWatchdogIsAlreadyActive_Refused()
    {
        _h.Doubles.Set("unit.state", "active");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request())).DefaultTimeout();

        Assert.Equal("refusing to upgrade the agent: fleet-agent-upgrade.service is already active; nothing was changed", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_SystemdRunFails_NoPendingRecordLeft()
    {
        _h.Doubles.Set("systemd-run.exit", "1");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request())).DefaultTimeout();

        Assert.StartsWith("cannot start the upgrade watchdog fleet-agent-upgrade.service: systemd-run exited with code 1: Failed to start transient service unit", ex.Message);
        Assert.False(File.Exists(_h.Folder.PendingFile));
        Assert.Empty(_h.Doubles.Calls("dpkg"));
    }

    [Fact]
    public async Task Run_NoWayBack_NoPreviousAndNothingCached_Refused_TheNewPackageRemoved()
    {
        var request = _h.Request();
        request.UpgradeAgent.Previous = null;

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(request)).DefaultTimeout();

        Assert.Equal($"no way back: fleet-agent_0.9.0_amd64.deb is not in the cache {_h.Folder.CacheDir}, and the step names no previous package; nothing was changed", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_NoWayBack_ThePreviousPackageFailsItsChecksum_Refused()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request(previous: _h.Package(UpgradeHarness.From, sha: _h.NewSha)))).DefaultTimeout();

        Assert.StartsWith($"no way back: fleet-agent_0.9.0_amd64.deb is not in the cache {_h.Folder.CacheDir}, and the previous package failed: checksum mismatch", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_TheCachedPreviousPackage_IsTheWayBack_WhenTheStepNamesNone()
    {
        Directory.CreateDirectory(_h.Folder.CacheDir);
        await File.WriteAllBytesAsync(_h.Folder.PackageFile(UpgradeHarness.From, "amd64"), Debs.Build(version: UpgradeHarness.From));
        _h.Doubles.Set($"dpkg.confirm-{UpgradeHarness.To}");
        var request = _h.Request();
        request.UpgradeAgent.Previous = null;

        var result = await _h.RunAsync(request).DefaultTimeout(); // the old agent (not restarted by the double) sees the confirmation

        Assert.Equal("the watchdog confirmed fleet-agent 0.9.1, but this agent runs 0.9.0", result.Reason);
        Assert.Equal(0, _h.Artifacts.Server.Requests("/files/fleet-agent_0.9.0_amd64.deb"));
        Assert.Single(_h.Doubles.Calls("dpkg-query")); // (c) is not asked for another version; (d) asks once
    }

    [Fact]
    public async Task Run_ACachedPreviousPackageThatIsNotWhatItsNameSays_IsReplacedByTheDownload()
    {
        Directory.CreateDirectory(_h.Folder.CacheDir);
        await File.WriteAllBytesAsync(_h.Folder.PackageFile(UpgradeHarness.From, "amd64"), Debs.Build(version: "0.7.0"));
        _h.Doubles.Set($"dpkg.fail-{UpgradeHarness.To}");

        var result = await _h.RunAsync(_h.Request()).DefaultTimeout();

        Assert.True(result.RolledBack);
        Assert.Equal(1, _h.Artifacts.Server.Requests("/files/fleet-agent_0.9.0_amd64.deb"));
        Assert.Equal(_h.OldSha, ArtifactHarness.Sha256(await File.ReadAllBytesAsync(_h.Folder.PackageFile(UpgradeHarness.From, "amd64"))));
    }

    private void AssertNothingChanged()
    {
        Assert.DoesNotContain(_h.Cached(), name => name.Contains("0.9.1", StringComparison.Ordinal) || name.StartsWith('.'));
        Assert.False(File.Exists(_h.Folder.PendingFile));
        Assert.Empty(_h.Doubles.Calls("systemd-run"));
        Assert.Empty(_h.Doubles.Calls("dpkg"));
    }
}

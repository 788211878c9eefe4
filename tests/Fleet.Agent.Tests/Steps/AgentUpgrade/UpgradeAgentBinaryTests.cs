using Fleet.Agent.Steps;
using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>
/// The UpgradeAgent step for an agent installed side by side (a package of kind BINARY): the real
/// handler on a real BASE/versions layout, a real ELF executable (this machine's /bin/true, x86-64)
/// over real HTTP, and the real watchdog script in binary mode, started by the systemd-run double; the
/// systemctl double "restarts" the agent (<see cref="UpgradeDoubles"/>).
/// </summary>
public sealed class UpgradeAgentBinaryTests : IAsyncLifetime
{
    private UpgradeHarness _h = null!;
    private string _base = "";
    private byte[] _new = [];
    private string _newSha = "";

    private string Program => Path.Join(_base, "current/fleet-agent");

    private string Current => new FileInfo(Path.Join(_base, "current")).LinkTarget ?? "(not a link)";

    private string[] Versions => Directory.GetFileSystemEntries(Path.Join(_base, "versions")).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToArray();

    public async Task InitializeAsync()
    {
        _h = await UpgradeHarness.StartAsync();
        _base = _h.Artifacts.Root.Resolve("/opt/fleet-agent");
        var running = Path.Join(_base, "versions", UpgradeHarness.From);
        Directory.CreateDirectory(running);
        File.Copy("/bin/true", Path.Join(running, "fleet-agent"));
        File.CreateSymbolicLink(Path.Join(_base, "current"), $"versions/{UpgradeHarness.From}");
        _new = [.. File.ReadAllBytes("/bin/true"), .. "fleet-agent 0.9.1"u8.ToArray()]; // still the ELF executable, another sha256
        _newSha = _h.Artifacts.Serve("fleet-agent-0.9.1-amd64", _new);
        _h.Doubles.Set("restart.base", _base);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Run_NewVersionConfirms_SwitchedByTheWatchdog_OldAgentRestartedMidway_TheNextAgentAnswersSucceeded()
    {
        _h.Doubles.Set("restart.confirm", $"{_h.Folder.StateDir} {UpgradeHarness.To}");
        _h.Doubles.Set("restart.hold");
        using var restart = new CancellationTokenSource();

        var old = Run(Request(), UpgradeHarness.From, ct: restart.Token);
        await Eventually.Until(() => _h.Doubles.Calls("systemctl").Contains("restart fleet-agent.service"), "the watchdog restarts fleet-agent.service");
        Assert.Equal("versions/0.9.1", Current); // switched before the restart
        await restart.CancelAsync(); // the restart stops the old agent: its step ends unanswered
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => old.DefaultTimeout());
        _h.Doubles.Set("restart.go");
        await _h.WatchdogEndedAsync();

        var result = await Run(Request(), UpgradeHarness.To).DefaultTimeout(); // re-sent to the new agent

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Matches(@"^fleet-agent 0\.9\.0 → 0\.9\.1, confirmed after \d+ s$", result.Reason);
        var binary = Path.Join(_base, "versions/0.9.1/fleet-agent");
        Assert.Equal(_new, File.ReadAllBytes(binary));
        Assert.Equal(FixtureRoot.Executable, File.GetUnixFileMode(binary));
        Assert.Equal(["0.9.1"], Versions); // the old version's folder goes once the new one confirmed
        Assert.Equal("versions/0.9.1", Current);
        Assert.Empty(_h.Doubles.Calls("dpkg"));
        Assert.Empty(_h.Cached()); // no package cache for a bare install
        var run = Assert.Single(_h.Doubles.Calls("systemd-run"));
        Assert.EndsWith($"/bin/sh {_h.Folder.WatchdogCopy} {_h.Folder.StateDir}", run);
        Assert.Equal(await File.ReadAllTextAsync(Path.Join(Repo.Root, "packaging/debian/fleet-agent/fleet-agent-upgrade")), await File.ReadAllTextAsync(_h.Folder.WatchdogCopy)); // the embedded copy
    }

    [Fact]
    public async Task Run_NewVersionNeverConfirms_SwitchedBackAtTheDeadline_RolledBackWithTheReason()
    {
        // A bare install has no packaged watchdog: the agent runs the one it carries.
        var handler = _h.Handler(UpgradeHarness.From, program: Program, watchdogScript: "/nonexistent/fleet-agent-upgrade");
        var request = Request(deadlineSeconds: 1);

        var result = await handler.RunAsync(request, _h.Artifacts.Progress(request.Id), CancellationToken.None).DefaultTimeout();

        Assert.True(result.RolledBack);
        Assert.Equal("rolled back to fleet-agent 0.9.0: fleet-agent 0.9.1 did not connect and report its version within 1s (fleet-agent.service: failed, exit status 2, 0 restarts)", result.Reason);
        await _h.WatchdogEndedAsync();
        Assert.Equal("versions/0.9.0", Current);
        Assert.Equal(["versions/0.9.1", "versions/0.9.0"], File.ReadAllLines(Path.Join(_h.Doubles.Dir, "restarts")));
        Assert.Equal(["0.9.0"], Versions);
    }

    [Fact]
    public async Task Run_AlreadyRunningTheVersion_WithCurrentThere_AlreadySatisfied_NothingDone()
    {
        var result = await Run(Request(Package(UpgradeHarness.From, _h.OldSha)), UpgradeHarness.From).DefaultTimeout();

        Assert.Equal(StepOutcome.AlreadySatisfied, result.Outcome);
        Assert.Equal($"fleet-agent 0.9.0 runs from {_base}/versions/0.9.0, and {_base}/current points there", result.Reason);
        Assert.Empty(_h.Doubles.Calls("systemd-run"));
    }

    [Fact]
    public async Task Run_WrongElfMachine_Refused_NothingLeft()
    {
        var sha = _h.Artifacts.Serve("arm64-agent", Elf.AArch64("fleet-agent"));

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Request(Package(name: "arm64-agent", sha: sha)))).DefaultTimeout();

        Assert.Equal("fleet-agent 0.9.1 is built for AArch64, but this node is amd64 (x86-64); refusing to install it", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_NotAnElfFile_Refused_NothingLeft()
    {
        var sha = _h.Artifacts.Serve("script-agent", "#!/bin/sh\nexit 0\n"u8.ToArray());

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Request(Package(name: "script-agent", sha: sha)))).DefaultTimeout();

        Assert.Equal("fleet-agent 0.9.1 is not an ELF executable; this node (amd64) needs x86-64", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_Sha256Mismatch_Refused_NothingLeft()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Request(Package(sha: _h.OldSha)))).DefaultTimeout();

        Assert.StartsWith($"checksum mismatch for {_h.Artifacts.Server.Url("/files/fleet-agent-0.9.1-amd64")}: expected sha256 {_h.OldSha}", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_OverTheSizeCap_Refused_NothingLeft()
    {
        var package = Package();
        package.MaxBytes = 1000;

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Request(package))).DefaultTimeout();

        Assert.Equal($"{_h.Artifacts.Server.Url("/files/fleet-agent-0.9.1-amd64")} is {_new.Length} bytes, over the size cap of 1000 bytes", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_NewVersionsFolderIsALink_Refused_NothingChanged()
    {
        var elsewhere = _h.Artifacts.Root.CreateDirectory("/elsewhere");
        Directory.CreateSymbolicLink(Path.Join(_base, "versions/0.9.1"), elsewhere);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Request())).DefaultTimeout();

        Assert.Equal($"refusing to upgrade the agent: {_base}/versions/0.9.1 is a link (to {elsewhere}), not a version's own folder; nothing was changed", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        AssertNothingStarted();
    }

    [Fact]
    public async Task Run_NewVersionsFolderNotRoots_Refused_NothingChanged()
    {
        var folder = Directory.CreateDirectory(Path.Join(_base, "versions/0.9.1")).FullName;
        File.SetUnixFileMode(folder, FixtureRoot.Executable);
        await ProcessRun.RunAsync("chown", ["65534:65534", folder]);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Request())).DefaultTimeout();

        Assert.Equal($"refusing to upgrade the agent: {folder} is owned by uid 65534, not root; nothing was changed", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
        AssertNothingStarted();
    }

    [Fact]
    public async Task Run_CurrentDoesNotPointAtTheRunningVersion_Refused_NothingChanged()
    {
        Directory.CreateDirectory(Path.Join(_base, "versions/0.8.0"));
        File.Copy("/bin/true", Path.Join(_base, "versions/0.8.0/fleet-agent"));
        File.Delete(Path.Join(_base, "current"));
        File.CreateSymbolicLink(Path.Join(_base, "current"), "versions/0.8.0");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Request(), program: Path.Join(_base, "versions/0.9.0/fleet-agent"))).DefaultTimeout();

        Assert.Equal($"refusing to upgrade the agent: the package is a bare binary, but this agent is not installed side by side ({_base}/current points at {_base}/versions/0.8.0, not at the running {_base}/versions/0.9.0); nothing was changed", ex.Message);
        Assert.Equal(["0.8.0", "0.9.0"], Versions);
        AssertNothingStarted();
    }

    [Fact]
    public async Task Run_AgentNotInstalledSideBySide_Refused()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Request(), program: "/usr/local/bin/fleet-agent")).DefaultTimeout();

        Assert.StartsWith("refusing to upgrade the agent: the package is a bare binary, but this agent is not installed side by side (", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_InstallFolderOfUnsafeCharacters_Refused()
    {
        var spaced = _h.Artifacts.Root.Resolve("/opt/fleet agent");
        Directory.Move(_base, spaced);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Request(), program: Path.Join(spaced, "current/fleet-agent"))).DefaultTimeout();

        Assert.Equal($"refusing to upgrade the agent: the install folder \"{spaced}\" is not an absolute path of letters, digits and /._- only (the watchdog would refuse it); nothing was changed", ex.Message);
        Assert.Equal([UpgradeHarness.From], Directory.GetDirectories(Path.Join(spaced, "versions")).Select(d => Path.GetFileName(d)));
        AssertNothingStarted();
    }

    [Fact]
    public async Task Run_BinaryStepNamesAPreviousPackage_Refused()
    {
        var request = Request();
        request.UpgradeAgent.Previous = _h.Package(UpgradeHarness.From);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(request)).DefaultTimeout();

        Assert.Equal("refusing to upgrade the agent: previous: a binary upgrade names no previous package (the way back is the running version's folder); nothing was changed", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_UnknownPackageKind_Refused()
    {
        var package = Package();
        package.Kind = (AgentPackageKind)7;

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Request(package))).DefaultTimeout();

        Assert.Equal("refusing to upgrade the agent: package.kind: 7 is not deb or binary; nothing was changed", ex.Message);
        AssertNothingChanged();
    }

    [Fact]
    public async Task Run_DebPackageOnABareInstall_RefusedAsNotInstalledFromThePackage()
    {
        _h.Doubles.Set("dpkg-query.out", "unknown ok not-installed ");
        var request = _h.Request();

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(request)).DefaultTimeout();

        Assert.Contains("this agent was not installed from the fleet-agent package", ex.Message);
        AssertNothingChanged();
    }

    [Theory]
    [InlineData("/opt/../etc")]
    [InlineData("/opt/x;reboot")]
    [InlineData("opt/fleet-agent")]
    public async Task Run_HostileBaseInThePendingRecordOfThisStep_FailsNamingIt_NothingRuns(string hostile)
    {
        _h.Folder.EnsureDirs();
        var pending = new PendingUpgrade(UpgradeHarness.StepId, "r7", UpgradeHarness.From, UpgradeHarness.To,
            PendingUpgrade.BinaryPath(_base, UpgradeHarness.To), PendingUpgrade.BinaryPath(_base, UpgradeHarness.From), 120, 1_780_000_000, _base);
        var text = pending.Format().Replace($"base={_base}\n", $"base={hostile}\n", StringComparison.Ordinal);
        await File.WriteAllTextAsync(_h.Folder.PendingFile, text);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => Run(Request())).DefaultTimeout();

        Assert.Equal($"the pending upgrade record {_h.Folder.PendingFile} is unusable: base: \"{hostile}\" is not an absolute path of letters, digits and /._- without . or .. parts", ex.Message);
        Assert.Equal(text, await File.ReadAllTextAsync(_h.Folder.PendingFile)); // left as found, for the operator to read
        Assert.Empty(_h.Doubles.Calls("systemd-run"));
        Assert.Empty(_h.Doubles.Calls("systemctl"));
        Assert.Equal([UpgradeHarness.From], Versions);
        Assert.Equal($"versions/{UpgradeHarness.From}", Current);
    }

    private AgentPackage Package(string version = UpgradeHarness.To, string? sha = null, string? name = null) => new()
    {
        Url = _h.Artifacts.Server.Url($"/files/{name ?? $"fleet-agent-{version}-amd64"}"),
        Sha256 = sha ?? _newSha,
        Version = version,
        Arch = Arch.Amd64,
        Kind = AgentPackageKind.Binary,
    };

    private StepRequest Request(AgentPackage? package = null, int deadlineSeconds = 120)
    {
        var request = _h.Request(package ?? Package(), deadlineSeconds: deadlineSeconds);
        request.UpgradeAgent.Previous = null; // the coordinator sends none for a bare install
        return request;
    }

    private Task<StepResult> Run(StepRequest request, string running = UpgradeHarness.From, string? program = null, CancellationToken ct = default) =>
        _h.Handler(running, program: program ?? Program).RunAsync(request, _h.Artifacts.Progress(request.Id), ct);

    private void AssertNothingStarted()
    {
        Assert.False(File.Exists(_h.Folder.PendingFile));
        Assert.Empty(_h.Doubles.Calls("systemd-run"));
        Assert.DoesNotContain(_h.Doubles.Calls("systemctl"), c => !c.StartsWith("is-active fleet-agent-upgrade", StringComparison.Ordinal));
    }

    private void AssertNothingChanged()
    {
        Assert.Equal([UpgradeHarness.From], Versions); // no folder for 0.9.1, no temporary file anywhere
        Assert.Equal($"versions/{UpgradeHarness.From}", Current);
        AssertNothingStarted();
    }
}

using Fleet.Agent.Steps;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps;

/// <summary>The Download step end to end: a real server, a real HttpClient, dest under a fixture root.</summary>
public sealed class DownloadStepHandlerTests : IAsyncLifetime
{
    private const string Dest = "/usr/local/bin/kubectl";
    private static readonly byte[] Kubectl = Elf.X86_64(new string('k', 5000));
    private ArtifactHarness _h = null!;
    private string _sha = "";

    private string RealDest => _h.Root.Resolve(Dest);

    private string RealDestDir => Path.GetDirectoryName(RealDest)!;

    public async Task InitializeAsync()
    {
        _h = await ArtifactHarness.StartAsync();
        _sha = _h.Serve("v1.31.0/amd64/kubectl", Kubectl);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Run_Ok_InstallsDestWithModeAndContent()
    {
        var result = await Run(Step());

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("installed /usr/local/bin/kubectl", result.Reason);
        Assert.Equal("step-1", result.Id);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(RealDest));
        Assert.Equal(Tgz.Rwxr_xr_x, File.GetUnixFileMode(RealDest));
        Assert.Empty(ArtifactHarness.Leftovers(RealDestDir));
        Assert.Equal(["kubectl"], Directory.GetFileSystemEntries(RealDestDir).Select(p => Path.GetFileName(p)));
        Assert.Contains(_h.Updates(), u => u.State == StepState.Installing);
    }

    [Fact]
    public async Task Run_ModeZero_Is0644()
    {
        var step = Step();
        step.Download.Mode = 0;
        step.Download.Executable = false;

        await Run(step);

        Assert.Equal(Tgz.Rw_r__r__, File.GetUnixFileMode(RealDest));
    }

    [Theory]
    [InlineData(0xDED, "6755")] // set-uid and set-gid
    [InlineData(0x9ED, "4755")] // set-uid
    [InlineData(0x5ED, "2755")] // set-gid
    [InlineData(0x3ED, "1755")] // sticky
    [InlineData(0x1FF, "0777")] // world-writable
    [InlineData(0x1FD, "0775")] // group-writable
    [InlineData(0x1B6, "0666")]
    [InlineData(0xFFFFFFFF, "37777777777")]
    public async Task Run_ModeBeyond0755_IsRefusedBeforeAnyRequest(uint mode, string octal)
    {
        var step = Step();
        step.Download.Mode = mode;

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Equal($"mode {octal} is not allowed: at most 0755 (no write for group or others, no set-uid, set-gid or sticky bit)", ex.Message);
        Assert.False(File.Exists(RealDest));
        Assert.Equal(0, _h.Server.Requests("/files/v1.31.0/amd64/kubectl"));
    }

    [Theory]
    [InlineData(0x1ED)] // 0755
    [InlineData(0x124)] // 0444
    [InlineData(0x140)] // 0500
    public async Task Run_ModeUpTo0755_IsSetAsGiven(uint mode)
    {
        var step = Step();
        step.Download.Mode = mode;

        await Run(step);

        Assert.Equal((UnixFileMode)mode, File.GetUnixFileMode(RealDest));
    }

    [Fact]
    public async Task Run_DestAlreadyHasTheSha256_IsAlreadySatisfiedWithoutARequest()
    {
        _h.Root.Write(Dest, "placeholder", FixtureRoot.Regular);
        await File.WriteAllBytesAsync(RealDest, Kubectl);

        var result = await Run(Step());

        Assert.Equal(StepOutcome.AlreadySatisfied, result.Outcome);
        Assert.Equal($"/usr/local/bin/kubectl already has sha256 {_sha}", result.Reason);
        Assert.Equal(0, _h.Server.Requests("/files/v1.31.0/amd64/kubectl"));
        Assert.Equal(Tgz.Rwxr_xr_x, File.GetUnixFileMode(RealDest)); // the mode is put right
    }

    [Fact]
    public async Task Run_DestWithOtherContent_IsReplaced()
    {
        _h.Root.Write(Dest, "an older kubectl", FixtureRoot.Executable);

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(RealDest));
        Assert.Equal(1, _h.Server.Requests("/files/v1.31.0/amd64/kubectl"));
        Assert.Empty(ArtifactHarness.Leftovers(RealDestDir));
    }

    [Fact]
    public async Task Run_ChecksumMismatch_FailsNamingBothDigestsAndInstallsNothing()
    {
        var step = Step();
        step.Download.Sha256 = new string('0', 64);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Contains($"expected sha256 {new string('0', 64)}, got {_sha}", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(RealDest));
        Assert.Empty(Directory.GetFileSystemEntries(RealDestDir));
    }

    [Fact]
    public async Task Run_ChecksumMismatch_LeavesTheOldDestAlone()
    {
        _h.Root.Write(Dest, "the kubectl that works", FixtureRoot.Executable);
        var step = Step();
        step.Download.Sha256 = new string('0', 64);

        await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Equal("the kubectl that works", await File.ReadAllTextAsync(RealDest));
        Assert.Empty(ArtifactHarness.Leftovers(RealDestDir));
    }

    [Fact]
    public async Task Run_NotFound_FailsAtOnceNamingStatusAndUrl()
    {
        var step = Step();
        step.Download.Url = _h.Server.Url("/files/v1.31.0/amd64/kubeadm");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Equal($"HTTP 404 Not Found from {step.Download.Url}", ex.Message);
        Assert.Equal(1, _h.Server.Requests("/files/v1.31.0/amd64/kubeadm"));
        Assert.False(File.Exists(RealDest));
    }

    [Fact]
    public async Task Run_Flaky_InstallsAfterRetries()
    {
        var step = Step();
        step.Download.Url = _h.Server.Url("/flaky/2/v1.31.0/amd64/kubectl");

        var result = await Run(step);

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(3, _h.Server.Requests("/flaky/2/v1.31.0/amd64/kubectl"));
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(RealDest));
        Assert.Empty(ArtifactHarness.Leftovers(RealDestDir));
    }

    [Fact]
    public async Task Run_Stalled_FailsNamingTheStallAndInstallsNothing()
    {
        _h.StepTimeout = TimeSpan.FromSeconds(5);
        _h.Options.DownloadStallTimeout = TimeSpan.FromSeconds(2); // it also bounds the response headers: room for a loaded machine
        var step = Step();
        step.Download.Url = _h.Server.Url("/stall/v1.31.0/amd64/kubectl");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.StartsWith($"download of {step.Download.Url} did not complete within the step's timeout: ", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("(stalled)", ex.Message, StringComparison.Ordinal);
        Assert.True(_h.Server.Requests("/stall/v1.31.0/amd64/kubectl") >= 1, ex.Message);
        Assert.False(File.Exists(RealDest));
        Assert.Empty(Directory.GetFileSystemEntries(RealDestDir));
    }

    [Fact]
    public async Task Run_ExecutableForAnotherMachine_IsRefusedThoughTheChecksumMatches()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Step(), ArtifactHarness.Arch("aarch64")));

        Assert.Equal("kubectl is built for x86-64, but this node is arm64 (AArch64); refusing to install it", ex.Message);
        Assert.Equal(1, _h.Server.Requests("/files/v1.31.0/amd64/kubectl")); // downloaded and verified, then refused
        Assert.False(File.Exists(RealDest));
        Assert.Empty(Directory.GetFileSystemEntries(RealDestDir));
    }

    [Fact]
    public async Task Run_ExecutableForAnotherMachine_LeavesTheOldDestAlone()
    {
        _h.Root.Write(Dest, "the arm64 kubectl", FixtureRoot.Executable);

        await Assert.ThrowsAsync<StepFailedException>(() => Run(Step(), ArtifactHarness.Arch("aarch64")));

        Assert.Equal("the arm64 kubectl", await File.ReadAllTextAsync(RealDest));
        Assert.Empty(ArtifactHarness.Leftovers(RealDestDir));
    }

    [Fact]
    public async Task Run_ExecutableNotElf_IsRefused()
    {
        var script = "#!/bin/sh\necho not a kubectl\n"u8.ToArray();
        var step = Step();
        step.Download.Url = _h.Server.Url("/files/kubectl.sh");
        step.Download.Sha256 = _h.Serve("kubectl.sh", script);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Equal("kubectl is not an ELF executable; this node (amd64) needs x86-64", ex.Message);
        Assert.False(File.Exists(RealDest));
    }

    [Fact]
    public async Task Run_NotExecutable_IsNotCheckedForItsMachine()
    {
        var step = Step();
        step.Download.Dest = "/var/lib/fleet/kubectl-arm64";
        step.Download.Executable = false;

        var result = await Run(step, ArtifactHarness.Arch("aarch64"));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(_h.Root.Resolve("/var/lib/fleet/kubectl-arm64")));
    }

    [Theory]
    [InlineData("usr/local/bin/kubectl")]
    [InlineData("kubectl")]
    [InlineData("../kubectl")]
    [InlineData("/usr/local/bin/../../../etc/kubectl")]
    [InlineData("/usr/local/bin/..")]
    [InlineData("")]
    public async Task Run_DestNotAbsoluteOrClimbing_IsRefusedWithoutARequest(string dest)
    {
        var step = Step();
        step.Download.Dest = dest;

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Equal($"dest \"{dest}\" is not an absolute path without \"..\"", ex.Message);
        Assert.Equal(0, _h.Server.Requests("/files/v1.31.0/amd64/kubectl"));
        Assert.Empty(Directory.GetFileSystemEntries(_h.Root.Root));
    }

    [Fact]
    public async Task Run_NoMaxBytes_UsesTheAgentDefaultCap()
    {
        _h.Options.DownloadMaxBytes = 100;

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Step()));

        Assert.EndsWith($"is {Kubectl.Length} bytes, over the size cap of 100 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StepMaxBytes_OverridesTheDefault()
    {
        _h.Options.DownloadMaxBytes = 100;
        var step = Step();
        step.Download.MaxBytes = Kubectl.Length;

        var result = await Run(step);

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
    }

    private StepRequest Step() => new()
    {
        Id = "step-1",
        Download = new DownloadStep
        {
            Url = _h.Server.Url("/files/v1.31.0/amd64/kubectl"),
            Sha256 = _sha,
            Dest = Dest,
            Mode = 0x1ED, // 0755
            Executable = true,
        },
    };

    private Task<StepResult> Run(StepRequest request, NodeArch? arch = null)
    {
        var handler = new DownloadStepHandler(_h.Downloader(), _h.Cache(), _h.Root.Paths(_h.Options), arch ?? ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous());
        Assert.Equal(StepRequest.StepOneofCase.Download, handler.Kind);
        return handler.RunAsync(request, _h.Progress(request.Id), CancellationToken.None);
    }
}

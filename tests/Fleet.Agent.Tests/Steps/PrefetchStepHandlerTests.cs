using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// The prefetch step against a real artifact server: every artifact staged and verified before any
/// step replaces anything, then the Download and InstallCniPlugins steps installing from the cache.
/// </summary>
public sealed class PrefetchStepHandlerTests : IAsyncLifetime
{
    private const string KubectlDest = "/usr/local/bin/kubectl";
    private const string KubeadmDest = "/usr/local/bin/kubeadm";
    private static readonly byte[] Kubectl = Elf.X86_64(new string('k', 5000));
    private static readonly byte[] Kubeadm = Elf.X86_64(new string('a', 7000));
    private static readonly string[] Plugins = ["bridge", "host-local", "loopback", "portmap"];
    private ArtifactHarness _h = null!;
    private string _kubectlSha = "";
    private string _kubeadmSha = "";
    private string _cniSha = "";

    private string CacheDir => _h.Cache().Dir;

    public async Task InitializeAsync()
    {
        _h = await ArtifactHarness.StartAsync();
        _kubectlSha = _h.Serve("kubectl", Kubectl);
        _kubeadmSha = _h.Serve("kubeadm", Kubeadm);
        var tgz = new Tgz();
        foreach (var plugin in Plugins)
        {
            tgz.File($"./{plugin}", Elf.X86_64(plugin));
        }

        _cniSha = _h.Serve("cni.tgz", tgz.ToBytes());
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Run_Ok_StagesEveryArtifact_ThenTheStepsInstallFromTheCacheWithoutAnotherRequest()
    {
        var result = await Run(Prefetch(Binary("kubectl", _kubectlSha, KubectlDest), Binary("kubeadm", _kubeadmSha, KubeadmDest), Archive("cni.tgz", _cniSha)));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("staged 3 of 3 artifacts (" + (Kubectl.Length + Kubeadm.Length + new FileInfo(Path.Join(_h.Server.Root, "cni.tgz")).Length) + " bytes)", result.Reason);
        Assert.Equal(new[] { _cniSha, _kubeadmSha, _kubectlSha }.Order(StringComparer.Ordinal), Entries().Order(StringComparer.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(CacheDir));
        Assert.False(File.Exists(_h.Root.Resolve(KubectlDest))); // staged, nothing installed yet

        var kubectl = await Download(KubectlDest, "kubectl", _kubectlSha);
        var cni = await InstallCni(_cniSha);

        Assert.Equal(StepOutcome.Succeeded, kubectl.Outcome);
        Assert.Equal(StepOutcome.Succeeded, cni.Outcome);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(_h.Root.Resolve(KubectlDest)));
        Assert.Equal(Plugins, Directory.GetFiles(_h.Root.Resolve("/opt/cni/bin")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(1, _h.Server.Requests("/files/kubectl")); // the prefetch's, none by the install
        Assert.Equal(1, _h.Server.Requests("/files/cni.tgz"));
        Assert.Equal([_kubeadmSha], Entries()); // taken entries are gone; kubeadm's waits for its step
        Assert.Empty(ArtifactHarness.Leftovers(_h.Root.Resolve("/usr/local/bin")));
        Assert.Empty(ArtifactHarness.Leftovers(_h.Root.Resolve("/opt/cni")));
        Assert.Empty(ArtifactHarness.Leftovers(CacheDir));
    }

    [Fact]
    public async Task Run_Sha256Mismatch_FailsAndStagesNothing()
    {
        var wrong = ArtifactHarness.Sha256(Kubeadm);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Prefetch(Binary("kubectl", wrong, KubectlDest))));

        Assert.StartsWith($"checksum mismatch for {_h.Server.Url("/files/kubectl")}: expected sha256 {wrong}, got {_kubectlSha}", ex.Message);
        Assert.Empty(Entries());
        Assert.Empty(ArtifactHarness.Leftovers(CacheDir));
    }

    [Fact]
    public async Task Run_WrongArchElf_FailsNamingBothMachines_AndStagesNothing()
    {
        var arm = _h.Serve("kubelet", Elf.AArch64("kubelet"));

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Prefetch(Binary("kubectl", _kubectlSha, KubectlDest), Binary("kubelet", arm, "/usr/local/bin/kubelet"))));

        Assert.Equal("kubelet is built for AArch64, but this node is amd64 (x86-64); refusing to install it", ex.Message);
        Assert.DoesNotContain(arm, Entries());
        Assert.Empty(ArtifactHarness.Leftovers(CacheDir));
    }

    [Fact]
    public async Task Run_ArtifactResolvedForAnotherArch_IsRefusedBeforeAnyRequest()
    {
        var step = Prefetch(Binary("kubectl", _kubectlSha, KubectlDest));
        step.Prefetch.Artifacts[0].Arch = Arch.Arm64;

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Equal("artifacts[0].arch: resolved for arm64, but this node is amd64", ex.Message);
        Assert.Equal(0, _h.Server.Requests("/files/kubectl"));
    }

    [Fact]
    public async Task Run_BadArtifacts_NamesEveryProblemBeforeAnyRequest()
    {
        var step = Prefetch(
            Binary("kubectl", "ABC", KubectlDest),
            new PrefetchArtifact { Url = "file:///etc/shadow", Sha256 = _kubeadmSha, Arch = Arch.Amd64, Kind = PrefetchKind.Binary },
            new PrefetchArtifact { Url = _h.Server.Url("/files/cni.tgz"), Sha256 = _cniSha, Arch = Arch.Unspecified, Kind = PrefetchKind.Unspecified, Dest = "opt/../cni", Size = -1 });

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Equal(
            "artifacts[0].sha256: \"ABC\" is not 64 lowercase hex characters; artifacts[1].url: \"file:///etc/shadow\" is not an http:// or https:// URL; "
            + "artifacts[2].arch: missing; artifacts[2].kind: missing; artifacts[2]: size and max_bytes cannot be negative; artifacts[2].dest: \"opt/../cni\" is not an absolute path without \"..\"",
            ex.Message);
        Assert.Equal(0, _h.Server.Requests("/files/kubectl") + _h.Server.Requests("/files/cni.tgz"));
        Assert.False(Directory.Exists(CacheDir));
    }

    [Theory]
    [InlineData(99, "artifacts[0].arch: 99 is not a known architecture")]
    [InlineData(-1, "artifacts[0].arch: -1 is not a known architecture")]
    public async Task Run_UnknownArchOrKindValues_AreNamedNotDefaulted(int arch, string expected)
    {
        var step = Prefetch(Binary("kubectl", _kubectlSha, KubectlDest));
        step.Prefetch.Artifacts[0].Arch = (Arch)arch;
        step.Prefetch.Artifacts[0].Kind = (PrefetchKind)7;

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Equal($"{expected}; artifacts[0].kind: 7 is not a known kind", ex.Message);
        Assert.Equal(0, _h.Server.Requests("/files/kubectl"));
    }

    [Fact]
    public async Task Run_NoArtifact_IsRefused()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Prefetch()));

        Assert.Equal("the prefetch names no artifact", ex.Message);
    }

    [Fact]
    public async Task Run_KnownSizesOverTheFreeSpace_IsRefusedBeforeAnyDownload()
    {
        var step = Prefetch(Binary("kubectl", _kubectlSha, KubectlDest), Binary("kubeadm", _kubeadmSha, KubeadmDest));
        step.Prefetch.Artifacts[1].Size = 1L << 50; // a pebibyte

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Matches($@"^staging 2 artifacts needs \d+ bytes, but {CacheDir} has \d+ bytes free; nothing was downloaded$", ex.Message);
        Assert.Equal(0, _h.Server.Requests("/files/kubectl") + _h.Server.Requests("/files/kubeadm"));
        Assert.Empty(Entries());
    }

    [Fact]
    public async Task Run_SizesFromTheServerOverASmallDisk_IsRefusedBeforeAnyDownload()
    {
        var big = _h.Serve("big", Elf.X86_64(new string('b', 3 << 20)));
        await using var disk = await TmpfsMount.MountAsync(CacheDir, "1m");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Prefetch(Binary("big", big, "/usr/local/bin/big"))));

        Assert.Matches($@"^staging 1 artifacts needs {(3 << 20) + 64} bytes, but {CacheDir} has \d+ bytes free; nothing was downloaded$", ex.Message);
        Assert.Equal(1, _h.Server.Requests("HEAD /files/big"));
        Assert.Equal(0, _h.Server.Requests("/files/big"));
    }

    [Fact]
    public async Task Run_AlreadyStagedOrInstalled_IsAlreadySatisfiedWithoutAnotherDownload()
    {
        await Run(Prefetch(Binary("kubectl", _kubectlSha, KubectlDest)));
        Directory.CreateDirectory(_h.Root.Resolve("/usr/local/bin"));
        await File.WriteAllBytesAsync(_h.Root.Resolve(KubeadmDest), Kubeadm);

        var again = await Run(Prefetch(Binary("kubectl", _kubectlSha, KubectlDest), Binary("kubeadm", _kubeadmSha, KubeadmDest)));

        Assert.Equal(StepOutcome.AlreadySatisfied, again.Outcome);
        Assert.Equal("all 2 artifacts are staged or installed", again.Reason);
        Assert.Equal(1, _h.Server.Requests("/files/kubectl"));
        Assert.Equal(0, _h.Server.Requests("/files/kubeadm"));
    }

    [Fact]
    public async Task Run_StagedEntryTamperedSince_IsRemovedAndFetchedAgain()
    {
        await Run(Prefetch(Binary("kubectl", _kubectlSha, KubectlDest)));
        await File.WriteAllBytesAsync(Path.Join(CacheDir, _kubectlSha), Elf.X86_64("evil"));

        var again = await Run(Prefetch(Binary("kubectl", _kubectlSha, KubectlDest)));

        Assert.Equal(StepOutcome.Succeeded, again.Outcome);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(Path.Join(CacheDir, _kubectlSha)));
        Assert.Equal(2, _h.Server.Requests("/files/kubectl"));
    }

    [Fact]
    public async Task Run_CacheFolderIsASymlink_IsRefusedAndTheLinkTargetUntouched()
    {
        var elsewhere = _h.Root.CreateDirectory("/elsewhere");
        Directory.CreateDirectory(Path.GetDirectoryName(CacheDir)!);
        Directory.CreateSymbolicLink(CacheDir, elsewhere);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Prefetch(Binary("kubectl", _kubectlSha, KubectlDest))));

        Assert.Equal($"{CacheDir} is a symbolic link, not a folder: refusing to stage artifacts there", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        Assert.Equal(0, _h.Server.Requests("/files/kubectl"));
    }

    [Fact]
    public async Task Run_CacheFolderWithAWideMode_IsMadePrivateAgain()
    {
        Directory.CreateDirectory(CacheDir);
        File.SetUnixFileMode(CacheDir, (UnixFileMode)0x1FF); // 0777

        await Run(Prefetch(Binary("kubectl", _kubectlSha, KubectlDest)));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(CacheDir));
    }

    [Fact]
    public async Task Run_SymlinkPlantedAsAnEntry_IsRemovedNotFollowed_AndTheArtifactFetched()
    {
        // The link points at a file with exactly the right bytes: still never used, since it is a link.
        var bait = _h.Root.Write("/bait", "");
        await File.WriteAllBytesAsync(bait, Kubectl);
        Directory.CreateDirectory(CacheDir);
        File.CreateSymbolicLink(Path.Join(CacheDir, _kubectlSha), bait);

        var result = await Run(Prefetch(Binary("kubectl", _kubectlSha, KubectlDest)));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Null(new FileInfo(Path.Join(CacheDir, _kubectlSha)).LinkTarget);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(bait));
        Assert.Equal(1, _h.Server.Requests("/files/kubectl"));
    }

    [Fact]
    public async Task Runner_PrefetchResentAfterAnAgentRestart_IsAnsweredFromTheJournal_NotFetchedAgain()
    {
        var step = Prefetch(Binary("kubectl", _kubectlSha, KubectlDest));
        var first = await Runner().Start(step, CancellationToken.None).DefaultTimeout();
        File.Delete(Path.Join(CacheDir, _kubectlSha)); // were it run again, it would have to fetch

        var again = await Runner().Start(step.Clone(), CancellationToken.None).DefaultTimeout();

        Assert.Equal((StepOutcome.Succeeded, false), (first.Outcome, first.FromJournal));
        Assert.Equal((StepOutcome.Succeeded, first.Reason, true), (again.Outcome, again.Reason, again.FromJournal));
        Assert.Equal(1, _h.Server.Requests("/files/kubectl"));
    }

    /// <summary>A fresh runner over the same state folder, as after a restart.</summary>
    private StepRunner Runner() => new(
        [new PrefetchStepHandler(_h.Downloader(), _h.Cache(), _h.Http, _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options)],
        new StepJournal(_h.Root.Paths(_h.Options)),
        _h.Sink,
        new Fleet.Agent.Hosting.SystemdStatus(new Fleet.Agent.Hosting.SystemdNotifySocket(null), null, NullLogger<Fleet.Agent.Hosting.SystemdStatus>.Instance),
        TimeProvider.System,
        NullLogger<StepRunner>.Instance);

    private string[] Entries() => Directory.Exists(CacheDir) ? Directory.GetFileSystemEntries(CacheDir).Select(p => Path.GetFileName(p)!).Where(n => !n.StartsWith('.')).ToArray() : [];

    private PrefetchArtifact Binary(string served, string sha256, string dest) =>
        new() { Url = _h.Server.Url($"/files/{served}"), Sha256 = sha256, Arch = Arch.Amd64, Kind = PrefetchKind.Binary, Dest = dest };

    private PrefetchArtifact Archive(string served, string sha256) =>
        new() { Url = _h.Server.Url($"/files/{served}"), Sha256 = sha256, Arch = Arch.Amd64, Kind = PrefetchKind.CniArchive, Dest = "/opt/cni/bin" };

    private static StepRequest Prefetch(params PrefetchArtifact[] artifacts)
    {
        var request = new StepRequest { Id = "prefetch-1", Prefetch = new PrefetchStep() };
        request.Prefetch.Artifacts.Add(artifacts);
        return request;
    }

    private Task<StepResult> Run(StepRequest request)
    {
        var handler = new PrefetchStepHandler(_h.Downloader(), _h.Cache(), _h.Http, _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options);
        Assert.Equal(StepRequest.StepOneofCase.Prefetch, handler.Kind);
        return handler.RunAsync(request, _h.Progress(request.Id), CancellationToken.None);
    }

    private Task<StepResult> Download(string dest, string served, string sha256)
    {
        var request = new StepRequest { Id = "download-1", Download = new DownloadStep { Url = _h.Server.Url($"/files/{served}"), Sha256 = sha256, Dest = dest, Mode = 0x1ED, Executable = true } };
        return new DownloadStepHandler(_h.Downloader(), _h.Cache(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous())
            .RunAsync(request, _h.Progress(request.Id), CancellationToken.None);
    }

    private Task<StepResult> InstallCni(string sha256)
    {
        var request = new StepRequest { Id = "cni-1", InstallCniPlugins = new InstallCniPluginsStep { Url = _h.Server.Url("/files/cni.tgz"), Sha256 = sha256 } };
        request.InstallCniPlugins.Required.Add(Plugins);
        return new InstallCniPluginsStepHandler(_h.Downloader(), _h.Cache(), _h.Leftovers(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous())
            .RunAsync(request, _h.Progress(request.Id), CancellationToken.None);
    }
}

using Fleet.Agent.Steps;
using Fleet.V1;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// Installing from the staging cache: the entry is hashed again after it left the cache, a changed or
/// planted entry is never installed (the step downloads instead), a destination on another file
/// system gets a flushed copy renamed into place, and stale entries go at start.
/// </summary>
public sealed class StagingCacheTests : IAsyncLifetime
{
    private const string Dest = "/usr/local/bin/kubectl";
    private static readonly byte[] Kubectl = Elf.X86_64(new string('k', 5000));
    private ArtifactHarness _h = null!;
    private string _sha = "";

    private string CacheDir => _h.Cache().Dir;

    private string Entry => Path.Join(CacheDir, _sha);

    private string RealDest => _h.Root.Resolve(Dest);

    public async Task InitializeAsync()
    {
        _h = await ArtifactHarness.StartAsync();
        _sha = _h.Serve("kubectl", Kubectl);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Download_EntryTamperedAfterPrefetch_IsNeverInstalled_AndTheStepDownloadsInstead()
    {
        await Prefetch();
        var evil = Elf.X86_64("evil");
        await File.WriteAllBytesAsync(Entry, evil);

        var result = await Download();

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(RealDest));
        Assert.Equal(2, _h.Server.Requests("/files/kubectl")); // the prefetch's and the fallback's
        Assert.Contains(Lines(), l => l.StartsWith($"the staged copy of {_sha} is not usable (its bytes hash to {ArtifactHarness.Sha256(evil)}, not {_sha}): removed it, never installed", StringComparison.Ordinal));
        Assert.False(File.Exists(Entry));
        Assert.Empty(ArtifactHarness.Leftovers(Path.GetDirectoryName(RealDest)!));
    }

    [Fact]
    public async Task Download_SymlinkPlantedAsTheEntry_IsRemovedAsALink_NeverFollowed()
    {
        var bait = _h.Root.Write("/bait", "");
        await File.WriteAllBytesAsync(bait, Kubectl); // the right bytes, behind a link: still refused
        _h.Cache().EnsureDir();
        File.CreateSymbolicLink(Entry, bait);

        var result = await Download();

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Null(new FileInfo(RealDest).LinkTarget);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(RealDest));
        Assert.True(File.Exists(bait));
        Assert.False(File.Exists(Entry) || new FileInfo(Entry).LinkTarget is not null);
        Assert.Equal(1, _h.Server.Requests("/files/kubectl"));
        Assert.Contains(Lines(), l => l.Contains("(it is a symbolic link): removed it, never installed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Download_FromTheCache_RenamesIntoPlace_LeavingNoTemporaryFile()
    {
        await Prefetch();

        var result = await Download();

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(RealDest));
        Assert.Equal(Tgz.Rwxr_xr_x, File.GetUnixFileMode(RealDest));
        Assert.Equal(["kubectl"], Directory.GetFileSystemEntries(Path.GetDirectoryName(RealDest)!).Select(p => Path.GetFileName(p)));
        Assert.Empty(Directory.GetFileSystemEntries(CacheDir));
        Assert.Equal(1, _h.Server.Requests("/files/kubectl"));
        Assert.Contains($"took {_sha} from the staging cache", Lines());
    }

    [Fact]
    public async Task Download_DestOnAnotherFileSystem_CopiesFlushedThenRenames()
    {
        await using var other = await TmpfsMount.MountAsync(Path.GetDirectoryName(RealDest)!, "16m");
        await Prefetch();

        var result = await Download();

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(RealDest));
        Assert.Equal(["kubectl"], Directory.GetFileSystemEntries(other.Path).Select(p => Path.GetFileName(p)));
        Assert.False(File.Exists(Entry)); // the copy's source is removed once the copy is on disk
        Assert.Equal(1, _h.Server.Requests("/files/kubectl"));
    }

    [Fact]
    public async Task InstallCni_DestOnAnotherFileSystem_InstallsFromTheCache()
    {
        var tgz = new Tgz().File("./loopback", Elf.X86_64("loopback")).File("./bridge", Elf.X86_64("bridge"));
        var sha = _h.Serve("cni.tgz", tgz.ToBytes());
        await using var other = await TmpfsMount.MountAsync(_h.Root.Resolve("/opt/cni"), "16m");
        var prefetch = new StepRequest { Id = "p", Prefetch = new PrefetchStep() };
        prefetch.Prefetch.Artifacts.Add(new PrefetchArtifact { Url = _h.Server.Url("/files/cni.tgz"), Sha256 = sha, Arch = Arch.Amd64, Kind = PrefetchKind.CniArchive });
        await Handler().RunAsync(prefetch, _h.Progress("p"), CancellationToken.None);

        var request = new StepRequest { Id = "cni", InstallCniPlugins = new InstallCniPluginsStep { Url = _h.Server.Url("/files/cni.tgz"), Sha256 = sha } };
        request.InstallCniPlugins.Required.Add(["loopback", "bridge"]);
        var result = await new InstallCniPluginsStepHandler(_h.Downloader(), _h.Cache(), _h.Leftovers(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous())
            .RunAsync(request, _h.Progress("cni"), CancellationToken.None);

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(["bridge", "loopback"], Directory.GetFiles(Path.Join(other.Path, "bin")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["bin"], Directory.GetFileSystemEntries(other.Path).Select(p => Path.GetFileName(p)));
        Assert.Equal(1, _h.Server.Requests("/files/cni.tgz"));
        Assert.False(File.Exists(Path.Join(CacheDir, sha)));
    }

    [Fact]
    public async Task Download_AlreadyInPlace_RemovesTheStaleEntry()
    {
        await Prefetch();
        Directory.CreateDirectory(Path.GetDirectoryName(RealDest)!);
        await File.WriteAllBytesAsync(RealDest, Kubectl);

        var result = await Download();

        Assert.Equal(StepOutcome.AlreadySatisfied, result.Outcome);
        Assert.False(File.Exists(Entry));
    }

    [Fact]
    public void Clean_AtStart_RemovesOldEntriesLinksAndStrangers_KeepsFreshEntriesAndPartFiles()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var cache = _h.Cache(new StagingCacheOptions { MaxAge = TimeSpan.FromHours(24) }, time);
        cache.EnsureDir();
        var fresh = Path.Join(cache.Dir, new string('a', 64));
        var old = Path.Join(cache.Dir, new string('b', 64));
        var link = Path.Join(cache.Dir, new string('c', 64));
        var stranger = Path.Join(cache.Dir, "notes.txt");
        var part = Path.Join(cache.Dir, $".fleet-{Guid.NewGuid():N}.part");
        var victim = _h.Root.Write("/victim", "keep me");
        foreach (var file in new[] { fresh, old, stranger, part })
        {
            File.WriteAllText(file, "x");
        }

        File.SetLastWriteTimeUtc(fresh, time.GetUtcNow().UtcDateTime.AddHours(-23));
        File.SetLastWriteTimeUtc(old, time.GetUtcNow().UtcDateTime.AddHours(-25));
        File.CreateSymbolicLink(link, victim);

        var removed = cache.Clean();

        Assert.Equal(new[] { link, old, stranger }.Order(StringComparer.Ordinal), removed.Order(StringComparer.Ordinal));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(part)); // LeftoverFiles removes download leftovers
        Assert.Equal("keep me", File.ReadAllText(victim));
    }

    [Fact]
    public void Clean_CacheFolderIsALink_RemovesNothingThroughIt()
    {
        var elsewhere = _h.Root.CreateDirectory("/elsewhere");
        var file = Path.Join(elsewhere, new string('d', 64));
        File.WriteAllText(file, "x");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-30));
        var cache = _h.Cache();
        Directory.CreateDirectory(Path.GetDirectoryName(cache.Dir)!);
        Directory.CreateSymbolicLink(cache.Dir, elsewhere);

        Assert.Empty(cache.Clean());
        Assert.True(File.Exists(file));
    }

    private StepProgress _downloadProgress = null!;

    /// <summary>The log lines of the last Download step.</summary>
    private IReadOnlyList<string> Lines() => _downloadProgress.Lines;

    private PrefetchStepHandler Handler() =>
        new(_h.Downloader(), _h.Cache(), _h.Http, _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options);

    private async Task Prefetch()
    {
        var request = new StepRequest { Id = "prefetch-1", Prefetch = new PrefetchStep() };
        request.Prefetch.Artifacts.Add(new PrefetchArtifact { Url = _h.Server.Url("/files/kubectl"), Sha256 = _sha, Arch = Arch.Amd64, Kind = PrefetchKind.Binary, Dest = Dest });
        var result = await Handler().RunAsync(request, _h.Progress(request.Id), CancellationToken.None);
        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
    }

    private Task<StepResult> Download()
    {
        var request = new StepRequest { Id = "download-1", Download = new DownloadStep { Url = _h.Server.Url("/files/kubectl"), Sha256 = _sha, Dest = Dest, Mode = 0x1ED, Executable = true } };
        _downloadProgress = _h.Progress(request.Id);
        return new DownloadStepHandler(_h.Downloader(), _h.Cache(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous())
            .RunAsync(request, _downloadProgress, CancellationToken.None);
    }
}

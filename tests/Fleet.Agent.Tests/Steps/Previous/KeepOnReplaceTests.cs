using Fleet.Agent.Facts;
using Fleet.Agent.Steps;
using Fleet.Agent.Steps.Previous;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps.Previous;

/// <summary>
/// The Download and InstallCniPlugins steps keep what they replace (DIR/.fleet-previous/NAME) and
/// journal it, through the real handlers, a real artifact server and real files under a fixture root.
/// </summary>
public sealed class KeepOnReplaceTests : IAsyncLifetime
{
    private const string Dest = "/usr/local/bin/kubectl";
    private static readonly byte[] Distro = Elf.X86_64("the distro's kubectl");
    private static readonly byte[] V130 = Elf.X86_64("kubectl v1.30.0");
    private static readonly byte[] V131 = Elf.X86_64("kubectl v1.31.0");
    private ArtifactHarness _h = null!;

    private string RealDest => _h.Root.Resolve(Dest);

    private string Kept => _h.Root.Resolve("/usr/local/bin/.fleet-previous/kubectl");

    public async Task InitializeAsync()
    {
        _h = await ArtifactHarness.StartAsync();
        _h.Serve("v1.30.0/kubectl", V130);
        _h.Serve("v1.31.0/kubectl", V131);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Download_OverAFile_KeepsItBesideAndJournalsTheReplaceBeforeTheResult()
    {
        PlaceDistroKubectl();

        var result = await Download("r1", "v1.30.0", V130);

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(V130, await File.ReadAllBytesAsync(RealDest));
        Assert.Equal(Distro, await File.ReadAllBytesAsync(Kept));
        Assert.Equal(FixtureRoot.Executable, File.GetUnixFileMode(Kept)); // the old inode, its mode with it
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(Kept)!));
        var record = Reloaded().Find(Dest)!;
        Assert.False(record.Restored);
        Assert.Equal(new ReplaceRecord("r1", Dest, ArtifactHarness.Sha256(Distro), "", ArtifactHarness.Sha256(V130), "kubectl", "v1.30.0", "r1-step"), record.Replace);
    }

    [Fact]
    public async Task Download_NothingThereBefore_JournalsNoPrevious_KeepsNothing()
    {
        await Download("r1", "v1.30.0", V130);

        Assert.Equal(["kubectl"], Directory.GetFileSystemEntries(Path.GetDirectoryName(RealDest)!).Select(p => Path.GetFileName(p)));
        Assert.Equal("", Reloaded().Find(Dest)!.Replace.PreviousSha256);
    }

    [Fact]
    public async Task Download_AlreadySatisfied_ReplacesNothing_KeepsAndJournalsNothing()
    {
        _h.Root.Write(Dest, "x", FixtureRoot.Executable);
        await File.WriteAllBytesAsync(RealDest, V130);

        var result = await Download("r1", "v1.30.0", V130);

        Assert.Equal(StepOutcome.AlreadySatisfied, result.Outcome);
        Assert.False(Directory.Exists(Path.GetDirectoryName(Kept)));
        Assert.Null(Reloaded().Find(Dest));
    }

    [Fact]
    public async Task Download_TwoHopsInOneRollout_KeepsWhatTheNodeHadBeforeTheRollout()
    {
        PlaceDistroKubectl();
        await Download("r1", "v1.30.0", V130);

        await Download("r1", "v1.31.0", V131, stepId: "r1-hop2");

        Assert.Equal(V131, await File.ReadAllBytesAsync(RealDest));
        Assert.Equal(Distro, await File.ReadAllBytesAsync(Kept));
        Assert.Equal(new ReplaceRecord("r1", Dest, ArtifactHarness.Sha256(Distro), "", ArtifactHarness.Sha256(V131), "kubectl", "v1.31.0", "r1-hop2"), Reloaded().Find(Dest)!.Replace);
    }

    [Fact]
    public async Task Download_UnderANewRollout_OverwritesTheKeptCopy_AndKnowsTheVersionFleetInstalled()
    {
        PlaceDistroKubectl();
        await Download("r1", "v1.30.0", V130);

        await Download("r2", "v1.31.0", V131);

        Assert.Equal(V130, await File.ReadAllBytesAsync(Kept)); // one generation: the distro's copy is gone
        var record = Reloaded().Find(Dest)!.Replace;
        Assert.Equal(("r2", ArtifactHarness.Sha256(V130), "v1.30.0"), (record.Rollout, record.PreviousSha256, record.PreviousVersion));
        Assert.Empty(Reloaded().ByRollout("r1"));
        Assert.True(Reloaded().EverReplaced("r1"));
    }

    [Fact]
    public async Task Download_FileChangedBehindFleetsBack_PreviousVersionIsUnknown()
    {
        await Download("r1", "v1.30.0", V130);
        await File.WriteAllBytesAsync(RealDest, Distro); // someone put another kubectl there since

        await Download("r2", "v1.31.0", V131);

        var record = Reloaded().Find(Dest)!.Replace;
        Assert.Equal((ArtifactHarness.Sha256(Distro), ""), (record.PreviousSha256, record.PreviousVersion));
    }

    [Fact]
    public async Task Download_WithoutRolloutId_IsRecordedUnderTheStepId()
    {
        PlaceDistroKubectl();

        await Download("", "v1.30.0", V130, stepId: "run-7");

        Assert.Equal("run-7", Reloaded().Find(Dest)!.Replace.Rollout);
    }

    [Fact]
    public async Task Download_NewRolloutOverAFileThatWasNotThere_RemovesAnOlderGenerationsCopy()
    {
        PlaceDistroKubectl();
        await Download("r1", "v1.30.0", V130);
        File.Delete(RealDest); // removed since, by hand

        await Download("r2", "v1.31.0", V131);

        Assert.False(File.Exists(Kept));
        Assert.Equal("", Reloaded().Find(Dest)!.Replace.PreviousSha256);
    }

    [Fact]
    public async Task Download_JournaledButKilledBeforeTheKeep_TheStepRunAgainKeeps()
    {
        // A kill -9 right after the replace was journaled (before the link and the rename): the file is
        // still the distro's, nothing is kept. The step sent again must keep it now, not trust the journal.
        PlaceDistroKubectl();
        _h.Journal.Record(new ReplaceRecord("r1", Dest, ArtifactHarness.Sha256(Distro), "", ArtifactHarness.Sha256(V130), "kubectl", "v1.30.0", "r1-step"));

        await Download("r1", "v1.30.0", V130);

        Assert.Equal(Distro, await File.ReadAllBytesAsync(Kept));
        Assert.Equal(V130, await File.ReadAllBytesAsync(RealDest));
    }

    [Fact]
    public async Task Download_FleetPreviousIsASymlink_FailsNamingIt_ChangesNothing()
    {
        PlaceDistroKubectl();
        var elsewhere = _h.Root.CreateDirectory("/elsewhere");
        File.CreateSymbolicLink(Path.GetDirectoryName(Kept)!, elsewhere);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download("r1", "v1.30.0", V130));

        Assert.Equal("/usr/local/bin/.fleet-previous is a symbolic link, not a folder: refusing to keep or restore /usr/local/bin/kubectl through it", ex.Message);
        Assert.Equal(Distro, await File.ReadAllBytesAsync(RealDest));
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        Assert.Null(Reloaded().Find(Dest));
    }

    [Fact]
    public async Task Download_FleetPreviousIsAFile_FailsNamingIt_ChangesNothing()
    {
        PlaceDistroKubectl();
        _h.Root.Write("/usr/local/bin/.fleet-previous", "not a folder");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download("r1", "v1.30.0", V130));

        Assert.Equal("/usr/local/bin/.fleet-previous is a file, not a folder: refusing to keep or restore /usr/local/bin/kubectl there", ex.Message);
        Assert.Equal(Distro, await File.ReadAllBytesAsync(RealDest));
        Assert.Null(Reloaded().Find(Dest));
    }

    [Fact]
    public async Task Download_APlantedLinkAsTheKeptCopy_IsReplacedAsALink_ItsTargetUntouched()
    {
        PlaceDistroKubectl();
        var target = _h.Root.Write("/etc/shadow", "root:secret");
        Directory.CreateDirectory(Path.GetDirectoryName(Kept)!);
        File.CreateSymbolicLink(Kept, target);

        await Download("r1", "v1.30.0", V130);

        Assert.Null(new FileInfo(Kept).LinkTarget);
        Assert.Equal(Distro, await File.ReadAllBytesAsync(Kept));
        Assert.Equal("root:secret", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task CniPlugins_EachReplacedPluginKept_NewOnesJournaledWithoutPrevious_NoneSeenAsAPlugin()
    {
        _h.Root.Write("/opt/cni/bin/loopback", "old loopback", FixtureRoot.Executable);
        _h.Root.Write("/opt/cni/bin/portmap", "old portmap", FixtureRoot.Executable);
        var tgz = new Tgz();
        string[] plugins = ["bridge", "host-local", "loopback", "portmap", "tuning"];
        foreach (var plugin in plugins)
        {
            tgz.File($"./{plugin}", Elf.X86_64(plugin));
        }

        var sha = _h.Serve("cni/plugins.tgz", tgz.ToBytes());
        var step = new StepRequest
        {
            Id = "r4-cni",
            RolloutId = "r4",
            InstallCniPlugins = new InstallCniPluginsStep { Url = _h.Server.Url("/files/cni/plugins.tgz"), Sha256 = sha, Component = "cni-plugins", Version = "v1.1.1" },
        };

        var result = await new InstallCniPluginsStepHandler(_h.Downloader(), _h.Cache(), _h.Leftovers(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous())
            .RunAsync(step, _h.Progress(step.Id), CancellationToken.None);

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(["loopback", "portmap"], Directory.GetFiles(_h.Root.Resolve("/opt/cni/bin/.fleet-previous")).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal));
        Assert.Equal("old portmap", await File.ReadAllTextAsync(_h.Root.Resolve("/opt/cni/bin/.fleet-previous/portmap")));
        var index = Reloaded();
        Assert.Equal(plugins.Select(p => $"/opt/cni/bin/{p}"), index.ByRollout("r4").Select(k => k.Replace.Path));
        Assert.All(index.ByRollout("r4"), k => Assert.Equal(("cni-plugins", "v1.1.1", "r4-cni"), (k.Replace.Component, k.Replace.Version, k.Replace.StepId)));
        Assert.All(new[] { "bridge", "host-local", "tuning" }, p => Assert.Equal("", index.Find($"/opt/cni/bin/{p}")!.Replace.PreviousSha256));
        Assert.Equal(ArtifactHarness.Sha256("old loopback"u8.ToArray()), index.Find("/opt/cni/bin/loopback")!.Replace.PreviousSha256);
        Assert.Equal(plugins, new CniPlugins(_h.Root.Paths(_h.Options)).Present()); // the hidden folder is no plugin
    }

    private void PlaceDistroKubectl()
    {
        _h.Root.Write(Dest, "x", FixtureRoot.Executable);
        File.WriteAllBytes(RealDest, Distro);
    }

    /// <summary>The journal as a restarted agent reads it from disk.</summary>
    private ReplaceIndex Reloaded() => new StepJournal(_h.Root.Paths(_h.Options)).Replaces;

    private Task<StepResult> Download(string rollout, string version, byte[] content, string? stepId = null)
    {
        var request = new StepRequest
        {
            Id = stepId ?? (rollout.Length > 0 ? $"{rollout}-step" : "step-1"),
            RolloutId = rollout,
            Download = new DownloadStep
            {
                Url = _h.Server.Url($"/files/{version}/kubectl"),
                Sha256 = ArtifactHarness.Sha256(content),
                Dest = Dest,
                Mode = 0x1ED,
                Executable = true,
                Component = "kubectl",
                Version = version,
            },
        };
        return new DownloadStepHandler(_h.Downloader(), _h.Cache(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous())
            .RunAsync(request, _h.Progress(request.Id), CancellationToken.None);
    }
}

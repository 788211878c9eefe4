using System.Formats.Tar;
using Fleet.Agent.Steps;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps;

/// <summary>The InstallCniPlugins step end to end: a real server, real tarballs, /opt/cni/bin under a fixture root.</summary>
public sealed class InstallCniPluginsStepHandlerTests : IAsyncLifetime
{
    private static readonly string[] Plugins = ["loopback", "portmap", "bridge", "host-local", "tuning"];
    private ArtifactHarness _h = null!;

    private string BinDir => _h.Root.Resolve("/opt/cni/bin");

    private string CniDir => _h.Root.Resolve("/opt/cni");

    public async Task InitializeAsync() => _h = await ArtifactHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Run_Ok_InstallsEveryPluginExecutableAndIdentical()
    {
        var result = await Run(Step(Serve(PluginsTgz())));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("installed 5 plugins into /opt/cni/bin", result.Reason);
        Assert.Equal(["bin", .. Plugins.Select(p => $"bin/{p}").Order(StringComparer.Ordinal)], Listing.Of(CniDir));
        foreach (var plugin in Plugins)
        {
            Assert.Equal(Elf.X86_64(plugin), await File.ReadAllBytesAsync(Path.Join(BinDir, plugin)));
            Assert.Equal(Tgz.Rwxr_xr_x, File.GetUnixFileMode(Path.Join(BinDir, plugin)));
        }

        Assert.Contains(_h.Updates().SelectMany(u => u.LogLines), l => l == "installed 5 plugins into /opt/cni/bin: bridge host-local loopback portmap tuning");
    }

    [Fact]
    public async Task Run_Twice_IsAlreadySatisfiedTheSecondTime()
    {
        var step = Step(Serve(PluginsTgz()));
        await Run(step);
        var installed = File.GetLastWriteTimeUtc(Path.Join(BinDir, "bridge"));

        var again = await Run(step);

        Assert.Equal(StepOutcome.AlreadySatisfied, again.Outcome);
        Assert.Equal("5 plugins in /opt/cni/bin already match the archive", again.Reason);
        Assert.Equal(installed, File.GetLastWriteTimeUtc(Path.Join(BinDir, "bridge")));
        Assert.Equal(["bin", .. Plugins.Select(p => $"bin/{p}").Order(StringComparer.Ordinal)], Listing.Of(CniDir));
    }

    [Fact]
    public async Task Run_OnePluginChangedSince_InstallsAgain()
    {
        var step = Step(Serve(PluginsTgz()));
        await Run(step);
        _h.Root.Write("/opt/cni/bin/portmap", "a portmap from elsewhere", FixtureRoot.Executable);

        var again = await Run(step);

        Assert.Equal(StepOutcome.Succeeded, again.Outcome);
        Assert.Equal(Elf.X86_64("portmap"), await File.ReadAllBytesAsync(Path.Join(BinDir, "portmap")));
    }

    [Fact]
    public async Task Run_PluginNotExecutable_InstallsAgain()
    {
        var step = Step(Serve(PluginsTgz()));
        await Run(step);
        File.SetUnixFileMode(Path.Join(BinDir, "bridge"), FixtureRoot.Regular);

        var again = await Run(step);

        Assert.Equal(StepOutcome.Succeeded, again.Outcome);
        Assert.Equal(Tgz.Rwxr_xr_x, File.GetUnixFileMode(Path.Join(BinDir, "bridge")));
    }

    [Fact]
    public async Task Run_OtherFilesInTheFolder_AreKept()
    {
        _h.Root.Write("/opt/cni/bin/flannel", "flannel, installed by its own daemonset", FixtureRoot.Executable);

        await Run(Step(Serve(PluginsTgz())));

        Assert.Equal("flannel, installed by its own daemonset", await File.ReadAllTextAsync(Path.Join(BinDir, "flannel")));
        Assert.Equal(Elf.X86_64("loopback"), await File.ReadAllBytesAsync(Path.Join(BinDir, "loopback")));
    }

    [Fact]
    public async Task Run_UpstreamShapedTarball_InstallsThePluginsAndNotTheDocs()
    {
        // As containernetworking/plugins releases it: GNU tar of ".", LICENSE and README.md beside the plugins.
        var tgz = new Tgz(TarEntryFormat.Gnu).Directory("./").File("./LICENSE", "Apache License\n").File("./README.md", "# plugins\n");
        foreach (var plugin in Plugins)
        {
            tgz.File($"./{plugin}", Elf.X86_64(plugin));
        }

        var result = await Run(Step(Serve(tgz)));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("installed 5 plugins into /opt/cni/bin", result.Reason);
        Assert.Equal(["bin", .. Plugins.Select(p => $"bin/{p}").Order(StringComparer.Ordinal)], Listing.Of(CniDir));
        Assert.Contains(_h.Updates().SelectMany(u => u.LogLines), l => l == "ignoring LICENSE: not an ELF executable");
    }

    [Fact]
    public async Task Run_NestedFiles_AreIgnored()
    {
        var tgz = PluginsTgz().File("./extras/dhcp", Elf.X86_64("dhcp"));

        var result = await Run(Step(Serve(tgz)));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.False(Path.Exists(Path.Join(BinDir, "extras")));
        Assert.Contains(_h.Updates().SelectMany(u => u.LogLines), l => l.StartsWith("ignoring extras/dhcp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_MissingRequiredPlugin_FailsNamingIt()
    {
        var tgz = new Tgz();
        foreach (var plugin in Plugins.Where(p => p != "portmap"))
        {
            tgz.File(plugin, Elf.X86_64(plugin));
        }

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Step(Serve(tgz))));

        Assert.Equal("the archive lacks required plugins: portmap", ex.Message);
        Assert.False(Directory.Exists(BinDir));
        Assert.Empty(Listing.Of(CniDir));
    }

    [Fact]
    public async Task Run_RequiredPluginNotElf_IsRefusedNamingIt()
    {
        var tgz = PluginsTgz(skip: "bridge").File("bridge", "#!/bin/sh\nexit 0\n", Tgz.Rwxr_xr_x);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Step(Serve(tgz))));

        Assert.Equal("bridge is not an ELF executable; this node (amd64) needs x86-64", ex.Message);
        Assert.False(Directory.Exists(BinDir));
    }

    [Fact]
    public async Task Run_StepRequired_OverridesTheAgentsList()
    {
        var step = Step(Serve(new Tgz().File("loopback", Elf.X86_64("loopback"))));
        step.InstallCniPlugins.Required.Add("loopback");

        var result = await Run(step);

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(["bin", "bin/loopback"], Listing.Of(CniDir));
    }

    [Fact]
    public async Task Run_PluginsForAnotherMachine_FailAndLeaveTheFolderUntouched()
    {
        _h.Root.Write("/opt/cni/bin/loopback", "the old loopback", FixtureRoot.Executable);
        var tgz = new Tgz();
        foreach (var plugin in Plugins)
        {
            tgz.File(plugin, Elf.AArch64(plugin));
        }

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Step(Serve(tgz))));

        Assert.Equal("loopback is built for AArch64, but this node is amd64 (x86-64); refusing to install it", ex.Message);
        Assert.Equal("the old loopback", await File.ReadAllTextAsync(Path.Join(BinDir, "loopback")));
        Assert.Equal(["bin", "bin/loopback"], Listing.Of(CniDir));
    }

    [Fact]
    public async Task Run_OnePluginForAnotherMachine_InstallsNone()
    {
        var tgz = PluginsTgz(skip: "tuning").File("tuning", Elf.AArch64("tuning"));

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Step(Serve(tgz))));

        Assert.StartsWith("tuning is built for AArch64", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Listing.Of(CniDir));
    }

    [Fact]
    public async Task Run_HostileTarball_FailsAndLeavesEverythingUntouched()
    {
        _h.Root.Write("/opt/cni/bin/loopback", "the old loopback", FixtureRoot.Executable);
        var tgz = PluginsTgz().File("../escaped", Elf.X86_64("escaped"));

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Step(Serve(tgz))));

        Assert.Equal("archive entry \"../escaped\" climbs out with \"..\"; refusing it", ex.Message);
        Assert.Equal("the old loopback", await File.ReadAllTextAsync(Path.Join(BinDir, "loopback")));
        Assert.Equal(["bin", "bin/loopback"], Listing.Of(CniDir));
        Assert.Equal(["opt"], Listing.Of(_h.Root.Root).Where(p => !p.StartsWith("opt/", StringComparison.Ordinal) && !p.StartsWith("var", StringComparison.Ordinal)));
        Assert.Equal(["var/lib/fleet-agent/temp-dirs"], Listing.Of(_h.Root.Root).Where(p => p.StartsWith("var/lib/fleet-agent/", StringComparison.Ordinal))); // the agent's record of where it writes temporary files
    }

    [Fact]
    public async Task Run_TarballWithLinkOut_FailsAndLeavesEverythingUntouched()
    {
        _h.Root.Write("/opt/cni/bin/loopback", "the old loopback", FixtureRoot.Executable);
        var tgz = PluginsTgz(skip: "loopback").Symlink("loopback", "../bin/loopback");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Step(Serve(tgz))));

        Assert.Equal("archive entry \"loopback\" is a link to \"../bin/loopback\", outside the target; refusing it", ex.Message);
        Assert.Equal("the old loopback", await File.ReadAllTextAsync(Path.Join(BinDir, "loopback")));
        Assert.Equal(["bin", "bin/loopback"], Listing.Of(CniDir));
    }

    [Fact]
    public async Task Run_NotAGzip_FailsAndLeavesNothing()
    {
        var step = Step(_h.Serve("cni/plugins.tgz", "<html>rate limited</html>"u8.ToArray()));

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.StartsWith("not a gzip-compressed tar archive", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Listing.Of(CniDir));
    }

    [Fact]
    public async Task Run_ArchiveExpandingBeyondEightTimesItsCap_IsRefused()
    {
        var step = Step(Serve(PluginsTgz().File("huge", new byte[200_000])));
        step.InstallCniPlugins.MaxBytes = 20_000; // the tarball fits; its contents, over 160 000 bytes, do not

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Equal("the archive expands beyond 160000 bytes; refusing it", ex.Message);
        Assert.Empty(Listing.Of(CniDir));
    }

    [Fact]
    public async Task Run_ChecksumMismatch_FailsAndLeavesNothing()
    {
        var step = Step(Serve(PluginsTgz()));
        step.InstallCniPlugins.Sha256 = new string('f', 64);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.StartsWith($"checksum mismatch for {step.InstallCniPlugins.Url}", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Listing.Of(CniDir));
    }

    [Fact]
    public async Task Run_CustomDestDir_InstallsThere()
    {
        var step = Step(Serve(PluginsTgz()));
        step.InstallCniPlugins.DestDir = "/usr/libexec/cni";

        var result = await Run(step);

        Assert.Equal("installed 5 plugins into /usr/libexec/cni", result.Reason);
        Assert.Equal(["cni", .. Plugins.Select(p => $"cni/{p}").Order(StringComparer.Ordinal)], Listing.Of(_h.Root.Resolve("/usr/libexec")));
        Assert.False(Directory.Exists(CniDir));
    }

    [Theory]
    [InlineData("opt/cni/bin")]
    [InlineData("/opt/cni/../../etc")]
    [InlineData("/")]
    public async Task Run_BadDestDir_IsRefusedWithoutARequest(string destDir)
    {
        var step = Step(Serve(PluginsTgz()));
        step.InstallCniPlugins.DestDir = destDir;

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(step));

        Assert.Equal($"dest_dir \"{destDir}\" is not an absolute folder without \"..\"", ex.Message);
        Assert.Equal(0, _h.Server.Requests("/files/cni/plugins.tgz"));
        Assert.Empty(Listing.Of(_h.Root.Root));
    }

    private static Tgz PluginsTgz(string? skip = null)
    {
        var tgz = new Tgz();
        foreach (var plugin in Plugins.Where(p => p != skip))
        {
            tgz.File($"./{plugin}", Elf.X86_64(plugin));
        }

        return tgz;
    }

    [Theory]
    [InlineData(1000L, 8000L)]
    [InlineData(long.MaxValue / 8, long.MaxValue / 8 * 8)]
    [InlineData(long.MaxValue / 8 + 1, long.MaxValue)] // * 8 would wrap negative and refuse every archive
    [InlineData(long.MaxValue, long.MaxValue)]
    public void ExpansionCap_IsEightTimesTheSizeCap_Saturating(long maxBytes, long cap) =>
        Assert.Equal(cap, InstallCniPluginsStepHandler.ExpansionCap(maxBytes));

    [Fact]
    public async Task Run_SizeCapNearLongMax_StillInstalls()
    {
        _h.Options.DownloadMaxBytes = long.MaxValue;

        var result = await Run(Step(Serve(PluginsTgz())));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
    }

    /// <summary>Serves the tarball at /files/cni/plugins.tgz; returns its sha256.</summary>
    private string Serve(Tgz tgz) => _h.Serve("cni/plugins.tgz", tgz.ToBytes());

    private StepRequest Step(string sha256) => new()
    {
        Id = "cni-1",
        InstallCniPlugins = new InstallCniPluginsStep { Url = _h.Server.Url("/files/cni/plugins.tgz"), Sha256 = sha256 },
    };

    private async Task<StepResult> Run(StepRequest request)
    {
        var handler = new InstallCniPluginsStepHandler(_h.Downloader(), _h.Cache(), _h.Leftovers(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous());
        Assert.Equal(StepRequest.StepOneofCase.InstallCniPlugins, handler.Kind);
        try
        {
            return await handler.RunAsync(request, _h.Progress(request.Id), CancellationToken.None);
        }
        finally
        {
            // Whatever happened: no download or staging folder is left beside the plugins.
            Assert.Empty(ArtifactHarness.Leftovers(CniDir));
            Assert.Empty(ArtifactHarness.Leftovers(BinDir));
        }
    }
}

using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// A rogue artifact server (a real HTTP server on 127.0.0.1, <see cref="ArtifactServer"/>) against
/// the agent's real Download and InstallCniPlugins steps: each attack fails the step with an error
/// that names it, and leaves nothing at the destination (no file, no .part, no staging folder).
/// </summary>
public sealed class RogueArtifactServerTests : IAsyncLifetime
{
    private const string Dest = "/usr/local/bin/kubectl";
    private static readonly byte[] Kubectl = Elf.X86_64(new string('k', 5000));
    private ArtifactHarness _h = null!;
    private string _sha = "";

    private string RealDestDir => _h.Root.Resolve("/usr/local/bin");

    private string CniDir => _h.Root.Resolve("/opt/cni");

    public async Task InitializeAsync()
    {
        _h = await ArtifactHarness.StartAsync();
        _sha = _h.Serve("kubectl", Kubectl);
        _h.StepTimeout = TimeSpan.FromSeconds(3); // the attacks that look transient are retried until it
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task EndlessBody_IsCutAtTheSizeCap()
    {
        _h.Options.DownloadMaxBytes = 1 << 20;

        var ex = await Refused(Download(_h.Server.Url("/endless")));

        Assert.Equal($"{_h.Server.Url("/endless")} is over the size cap of 1048576 bytes", ex.Message);
    }

    [Fact]
    public async Task BodyLargerThanTheCap_IsRefusedBeforeItIsRead()
    {
        _h.Options.DownloadMaxBytes = 1000;

        var ex = await Refused(Download(_h.Server.Url("/files/kubectl")));

        Assert.Equal($"{_h.Server.Url("/files/kubectl")} is {Kubectl.Length} bytes, over the size cap of 1000 bytes", ex.Message);
    }

    [Fact]
    public async Task BodyLargerThanTheCap_WithoutContentLength_IsCutAtTheCap()
    {
        _h.Options.DownloadMaxBytes = 1000;

        var ex = await Refused(Download(_h.Server.Url("/chunked/kubectl")));

        Assert.Equal($"{_h.Server.Url("/chunked/kubectl")} is over the size cap of 1000 bytes", ex.Message);
    }

    [Fact]
    public async Task ContentLengthLie_TheBodyEndsShort_FailsAsABrokenTransferAtTheDeadline()
    {
        var ex = await Refused(Download(_h.Server.Url("/short/kubectl")));

        Assert.StartsWith($"download of {_h.Server.Url("/short/kubectl")} did not complete within the step's timeout: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"; last error: the transfer broke after {Kubectl.Length} bytes", ex.Message, StringComparison.Ordinal);
        // Every retry asks for the rest; the server answers with the whole lie again, and the file starts over.
        Assert.All(_h.Server.Ranges("/short/kubectl").Skip(1), r => Assert.Equal($"bytes={Kubectl.Length}-", r.Range));
    }

    [Fact]
    public async Task Stall_FailsAsStalledAfterItsRetries()
    {
        // The same timeout bounds the wait for the response headers: long enough that a loaded machine's
        // loopback server answers them, so what is measured is the stall in the body.
        _h.Options.DownloadStallTimeout = TimeSpan.FromSeconds(2);

        var ex = await Refused(Download(_h.Server.Url("/stall/kubectl")));

        Assert.StartsWith($"download of {_h.Server.Url("/stall/kubectl")} did not complete within the step's timeout: ", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith($"; last error: no data for 2 s after {Kubectl.Length / 2} bytes (stalled)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedirectToAnotherPort_IsRefusedWithoutAsking()
    {
        await using var other = await ArtifactServer.StartAsync(_h.Server.Root);
        var target = other.Url("/files/kubectl");

        var ex = await Refused(Download(Redirect(target)));

        Assert.Equal($"{Redirect(target)} redirects to {target}, not on {_h.Server.BaseUrl}: refusing it (Fleet follows redirects only on the same scheme, host and port; give the catalog the final URL or a mirror)", ex.Message);
        Assert.Equal(0, other.Requests("/files/kubectl"));
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("http://localhost:10250/pods")] // another host name for this machine, and another port
    [InlineData("https://127.0.0.1:1/kubectl")] // the same host, another scheme and port
    [InlineData("http://127.0.0.2:8080/kubectl")] // another loopback host
    public async Task RedirectElsewhere_IsRefusedNamingIt(string target)
    {
        var ex = await Refused(Download(Redirect(target)));

        Assert.StartsWith($"{Redirect(target)} redirects to {new Uri(target)}, not on {_h.Server.BaseUrl}: refusing it", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedirectLoop_IsRefusedAfterFive()
    {
        var url = _h.Server.Url("/redirect-loop/5/kubectl"); // six redirects

        var ex = await Refused(Download(url));

        Assert.Equal($"{url} redirects more than 5 times; refusing it", ex.Message);
    }

    [Fact]
    public async Task FiveRedirectsOnTheSameServer_AreFollowed()
    {
        var result = await new DownloadStepHandler(_h.Downloader(), _h.Cache(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous())
            .RunAsync(Download(_h.Server.Url("/redirect-loop/4/kubectl")), _h.Progress(), CancellationToken.None).DefaultTimeout();

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(Kubectl, await File.ReadAllBytesAsync(_h.Root.Resolve(Dest)));
    }

    [Fact]
    public async Task WrongArchElfWithAMatchingSha256_IsRefusedByTheElfCheck()
    {
        var arm = Elf.AArch64("kubectl for arm64");
        var sha = _h.Serve("arm64-kubectl", arm);

        var ex = await Refused(Download(_h.Server.Url("/files/arm64-kubectl"), sha));

        Assert.Equal("kubectl is built for AArch64, but this node is amd64 (x86-64); refusing to install it", ex.Message);
    }

    [Fact]
    public async Task TarballOf100000TinyEntries_IsRefusedAtTheEntryCap()
    {
        var tgz = new Tgz(System.Formats.Tar.TarEntryFormat.Ustar); // no extended header per entry: 512 bytes each
        for (var i = 0; i < 100_000; i++)
        {
            tgz.File($"f{i}", "", Tgz.Rw_r__r__);
        }

        var ex = await RefusedCni(tgz);

        Assert.Equal($"the archive holds more than {SafeTarExtractor.DefaultMaxEntries} entries; refusing it", ex.Message);
    }

    [Fact]
    public async Task TarballWithALinkThenAFileThroughIt_IsRefused()
    {
        var tgz = new Tgz().Directory("plugins").Symlink("via", "plugins").File("via/loopback", Elf.X86_64("loopback"));

        var ex = await RefusedCni(tgz);

        Assert.Equal("archive entry \"via/loopback\" goes through the link \"via\"; refusing it", ex.Message);
    }

    [Fact]
    public async Task TarballWithALinkOutThenAFileThroughIt_IsRefusedAtTheLink()
    {
        var tgz = new Tgz().Symlink("etc", "/etc").File("etc/cron.d/fleet", "* * * * * root sh -c 'id > /tmp/owned'\n");

        var ex = await RefusedCni(tgz);

        Assert.Equal("archive entry \"etc\" is a link to \"/etc\", outside the target; refusing it", ex.Message);
    }

    private string Redirect(string target) => _h.Server.Url($"/redirect?to={Uri.EscapeDataString(target)}");

    private StepRequest Download(string url, string? sha = null) => new()
    {
        Id = "rogue-1",
        Download = new DownloadStep { Url = url, Sha256 = sha ?? _sha, Dest = Dest, Mode = 0x1ED, Executable = true },
    };

    /// <summary>Runs the Download step; it must fail, and leave nothing in the destination folder.</summary>
    private async Task<StepFailedException> Refused(StepRequest request)
    {
        var handler = new DownloadStepHandler(_h.Downloader(), _h.Cache(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous());
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => handler.RunAsync(request, _h.Progress(request.Id), CancellationToken.None).DefaultTimeout());
        Assert.Empty(Directory.Exists(RealDestDir) ? Directory.GetFileSystemEntries(RealDestDir) : []);
        return ex;
    }

    /// <summary>Serves the tarball and runs InstallCniPlugins on it; it must fail, and leave /opt/cni as it was (empty).</summary>
    private async Task<StepFailedException> RefusedCni(Tgz tgz)
    {
        var sha = _h.Serve("plugins.tgz", tgz.ToBytes());
        var request = new StepRequest { Id = "rogue-cni", InstallCniPlugins = new InstallCniPluginsStep { Url = _h.Server.Url("/files/plugins.tgz"), Sha256 = sha } };
        var handler = new InstallCniPluginsStepHandler(_h.Downloader(), _h.Cache(), _h.Leftovers(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous());
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => handler.RunAsync(request, _h.Progress(request.Id), CancellationToken.None).DefaultTimeout());
        Assert.Empty(Directory.Exists(CniDir) ? Listing.Of(CniDir) : []);
        return ex;
    }
}

using Fleet.Agent.Steps;
using Fleet.Testing;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// HTTP Range resume against a real server on loopback (<see cref="ArtifactServer"/>) that resets the
/// connection halfway through a body and then answers the Range request rightly or wrongly: the file
/// is always the whole, verified file, or the download fails naming the problem and leaves nothing.
/// </summary>
public sealed class DownloaderResumeTests : IAsyncLifetime
{
    private static readonly byte[] Content = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7 % 253)).ToArray();
    private ArtifactHarness _h = null!;
    private string _sha = "";

    private string DestDir => _h.Root.Resolve("/usr/local/bin");

    public async Task InitializeAsync()
    {
        _h = await ArtifactHarness.StartAsync();
        _sha = _h.Serve("kubectl", Content);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private string ETag => $"\"{_sha[..16]}\"";

    [Fact]
    public async Task ConnectionResetMidBody_ResumesWithRangeAndIfRange()
    {
        var temp = await Download("/drop/1/kubectl");

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal([("", ""), ("bytes=5000-", ETag)], _h.Server.Ranges("/drop/1/kubectl"));
        Assert.Contains(Lines(), l => l == $"resuming {_h.Server.Url("/drop/1/kubectl")} from byte 5000");
        Assert.Equal([Path.GetFileName(temp)], ArtifactHarness.Leftovers(DestDir));
    }

    [Fact]
    public async Task ResetTwice_ResumesFromWhereEachStopped()
    {
        var temp = await Download("/drop/2/kubectl");

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal(["", "bytes=5000-", "bytes=7500-"], _h.Server.Ranges("/drop/2/kubectl").Select(r => r.Range));
    }

    [Fact]
    public async Task ServerIgnoresRange_TheWhole200StartsTheFileOver()
    {
        var url = "/drop/1/kubectl?range=ignore";

        var temp = await Download(url);

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal(2, _h.Server.Requests("/drop/1/kubectl"));
        Assert.Contains(Lines(), l => l == $"{_h.Server.Url(url)} sent the whole file (HTTP 200) instead of the bytes from 5000: starting over");
    }

    [Fact]
    public async Task IfRangeNoLongerMatches_TheServerSendsTheWholeFile()
    {
        var temp = await Download("/drop/1/kubectl?range=etag-changes");

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        var ranges = _h.Server.Ranges("/drop/1/kubectl");
        Assert.Equal("bytes=5000-", ranges[1].Range);
        Assert.NotEqual("", ranges[1].IfRange); // the first response's ETag, which the server changed since
    }

    [Fact]
    public async Task PartialContentFromTheWrongStart_IsDiscardedAndTheFileStartsOverWithoutRange()
    {
        var url = "/drop/1/kubectl?range=wrong-start";

        var temp = await Download(url);

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal(["", "bytes=5000-", ""], _h.Server.Ranges("/drop/1/kubectl").Select(r => r.Range));
        Assert.Contains(Lines(), l => l.StartsWith($"download attempt 2 failed: {_h.Server.Url(url)} answered HTTP 206 with Content-Range \"bytes 0-9999/10000\" to a request for the bytes from 5000: discarding them, starting over without Range", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PartialContentWithASplicedBody_IsCaughtByTheWholeFileChecksumAndFetchedWhole()
    {
        var url = "/drop/1/kubectl?range=lie";

        var temp = await Download(url);

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal(["", "bytes=5000-", ""], _h.Server.Ranges("/drop/1/kubectl").Select(r => r.Range));
        Assert.Contains(Lines(), l => l.Contains($"checksum mismatch for {_h.Server.Url(url)} after resuming", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SplicedBodyAgainAfterStartingOver_FailsAsAChecksumMismatch()
    {
        // Fetched whole the second time too (Range is off after a spliced mismatch): the mismatch is now definitive.
        var expected = ArtifactHarness.Sha256([1, 2, 3]);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() =>
            _h.Downloader().DownloadVerifiedAsync(_h.Server.Url("/drop/1/kubectl"), expected, DestDir, 1 << 20, _h.Progress(), CancellationToken.None).DefaultTimeout());

        Assert.Equal($"checksum mismatch for {_h.Server.Url("/drop/1/kubectl")}: expected sha256 {expected}, got {_sha}", ex.Message);
        Assert.Equal(["", "bytes=5000-", ""], _h.Server.Ranges("/drop/1/kubectl").Select(r => r.Range));
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    [Fact]
    public async Task ContentRangeBeyondTheSizeCap_FailsAtOnceAndLeavesNothing()
    {
        var url = "/drop/1/kubectl?range=huge";

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download(url));

        Assert.Equal($"{_h.Server.Url(url)} is 1099511627776 bytes (Content-Range \"bytes 5000-9999/1099511627776\"), over the size cap of 1048576 bytes", ex.Message);
        Assert.Equal(2, _h.Server.Requests("/drop/1/kubectl"));
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    [Fact]
    public async Task RangeNotSatisfiable_StartsOverOnce()
    {
        var temp = await Download("/drop/1/kubectl?range=416");

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal(["", "bytes=5000-", ""], _h.Server.Ranges("/drop/1/kubectl").Select(r => r.Range));
    }

    [Fact]
    public async Task RangeNotSatisfiableTwice_Fails()
    {
        var url = "/drop/3/kubectl?range=416";

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download(url));

        Assert.Equal($"HTTP 416 Range Not Satisfiable from {_h.Server.Url(url)}, again after starting over", ex.Message);
        Assert.Equal(["", "bytes=5000-", "", "bytes=5000-"], _h.Server.Ranges("/drop/3/kubectl").Select(r => r.Range));
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    [Fact]
    public async Task WholeFileFromTheStart_SendsNoRange()
    {
        var temp = await Download("/files/kubectl");

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal([("", "")], _h.Server.Ranges("/files/kubectl"));
    }

    private IEnumerable<string> Lines() => _h.Updates().SelectMany(u => u.LogLines);

    private Task<string> Download(string path) =>
        _h.Downloader().DownloadVerifiedAsync(_h.Server.Url(path), _sha, DestDir, 1 << 20, _h.Progress(), CancellationToken.None).DefaultTimeout();
}

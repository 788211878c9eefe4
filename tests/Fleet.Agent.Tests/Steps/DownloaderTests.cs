using System.Text.RegularExpressions;
using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps;

/// <summary>The Downloader against a real HTTP server on loopback that misbehaves on request.</summary>
public sealed class DownloaderTests : IAsyncLifetime
{
    private static readonly byte[] Content = Enumerable.Range(0, 10_000).Select(i => (byte)(i % 251)).ToArray();
    private ArtifactHarness _h = null!;
    private string _sha = "";

    private string DestDir => _h.Root.Resolve("/usr/local/bin");

    public async Task InitializeAsync()
    {
        _h = await ArtifactHarness.StartAsync();
        _sha = _h.Serve("kubectl", Content);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Download_Ok_IsAVerifiedPartFileInTheDestFolder()
    {
        var temp = await Download("/files/kubectl");

        Assert.Equal(DestDir, Path.GetDirectoryName(temp));
        Assert.Matches(@"^\.fleet-[0-9a-f]{32}\.part$", Path.GetFileName(temp));
        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal(1, _h.Server.Requests("/files/kubectl"));
        var updates = _h.Updates();
        Assert.Contains(updates, u => u.State == StepState.Downloading);
        Assert.Equal((Content.Length, Content.Length), (updates[^1].BytesDone, updates[^1].BytesTotal));
    }

    [Fact]
    public async Task Download_Chunked_IsVerifiedWithUnknownTotal()
    {
        var temp = await Download("/chunked/kubectl");

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        var last = _h.Updates()[^1];
        Assert.Equal((Content.Length, 0L), (last.BytesDone, last.BytesTotal));
    }

    [Fact]
    public async Task Download_Flaky_SucceedsAfterRetries()
    {
        var temp = await Download("/flaky/2/kubectl");

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal(3, _h.Server.Requests("/flaky/2/kubectl"));
        var updates = _h.Updates();
        Assert.Equal(2, updates.Count(u => u.State == StepState.Retrying && u.LogLines.Count == 0));
        Assert.Contains(updates.SelectMany(u => u.LogLines), l => l.StartsWith("download attempt 2 failed: HTTP 503", StringComparison.Ordinal));
        Assert.Equal([Path.GetFileName(temp)], ArtifactHarness.Leftovers(DestDir));
    }

    [Fact]
    public async Task Download_StalledUntilTheDeadline_FailsNamingTheAttemptsAndTheStall()
    {
        _h.StepTimeout = TimeSpan.FromSeconds(5);
        _h.Options.DownloadStallTimeout = TimeSpan.FromSeconds(2); // it also bounds the response headers: room for a loaded machine

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download("/stall/kubectl"));

        var attempts = AttemptsNamed(ex, "/stall/kubectl", "no data for 2 s after 5000 bytes (stalled)");
        Assert.Equal(attempts, _h.Server.Requests("/stall/kubectl"));
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    [Fact]
    public async Task Download_ServerErrorUntilTheDeadline_FailsNamingTheAttemptsAndTheLastError()
    {
        _h.StepTimeout = TimeSpan.FromSeconds(2);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download("/status/503"));

        var attempts = AttemptsNamed(ex, "/status/503", $"HTTP 503 Service Unavailable from {_h.Server.Url("/status/503")}");
        Assert.Equal(attempts, _h.Server.Requests("/status/503"));
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    [Fact]
    public async Task Download_FailingMoreOftenThanTheOldCount_SucceedsWithinTheDeadline()
    {
        // The agent used to give up after 5 attempts whatever the step's timeout: 8 failures, then the file.
        var temp = await Download("/flaky/8/kubectl");

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal(9, _h.Server.Requests("/flaky/8/kubectl"));
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task Download_TransientStatus_IsRetried(int code)
    {
        var temp = await Download($"/flaky/2/kubectl?code={code}");

        Assert.Equal(Content, await File.ReadAllBytesAsync(temp));
        Assert.Equal(3, _h.Server.Requests("/flaky/2/kubectl"));
        Assert.Contains(_h.Updates().SelectMany(u => u.LogLines), l => l.StartsWith($"download attempt 2 failed: HTTP {code} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Download_TransientStatusUntilTheDeadline_FailsNamingIt()
    {
        _h.StepTimeout = TimeSpan.FromSeconds(1);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download("/status/429"));

        Assert.EndsWith($"; last error: HTTP 429 Too Many Requests from {_h.Server.Url("/status/429")}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_NotFound_FailsAtOnceNamingStatusAndUrl()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download("/files/kubelet"));

        Assert.Equal($"HTTP 404 Not Found from {_h.Server.Url("/files/kubelet")}", ex.Message);
        Assert.Equal(1, _h.Server.Requests("/files/kubelet"));
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(410)]
    public async Task Download_ClientError_IsNotRetried(int code)
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download($"/status/{code}"));

        Assert.StartsWith($"HTTP {code} ", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, _h.Server.Requests($"/status/{code}"));
    }

    [Fact]
    public async Task Download_ContentLengthOverTheCap_FailsBeforeTheBody()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download("/files/kubectl", maxBytes: 1000));

        Assert.Equal($"{_h.Server.Url("/files/kubectl")} is 10000 bytes, over the size cap of 1000 bytes", ex.Message);
        Assert.Equal(1, _h.Server.Requests("/files/kubectl"));
        Assert.DoesNotContain(_h.Updates(), u => u.State == StepState.Downloading); // no body was read
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    [Fact]
    public async Task Download_ChunkedOverTheCap_FailsWhileStreaming()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Download("/chunked/kubectl", maxBytes: 1000));

        Assert.Equal($"{_h.Server.Url("/chunked/kubectl")} is over the size cap of 1000 bytes", ex.Message);
        Assert.Equal(1, _h.Server.Requests("/chunked/kubectl"));
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    [Fact]
    public async Task Download_ExactlyTheCap_IsAccepted()
    {
        var temp = await Download("/chunked/kubectl", maxBytes: Content.Length);

        Assert.Equal(Content.Length, new FileInfo(temp).Length);
    }

    [Fact]
    public async Task Download_ChecksumMismatch_FailsNamingBothDigestsAndIsNotRetried()
    {
        var expected = new string('a', 64);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() =>
            _h.Downloader().DownloadVerifiedAsync(_h.Server.Url("/files/kubectl"), expected, DestDir, 1 << 20, _h.Progress(), CancellationToken.None));

        Assert.Equal($"checksum mismatch for {_h.Server.Url("/files/kubectl")}: expected sha256 {expected}, got {_sha}", ex.Message);
        Assert.Equal(1, _h.Server.Requests("/files/kubectl"));
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345")]
    public async Task Download_MalformedSha256_IsRefusedWithoutARequest(string sha256)
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() =>
            _h.Downloader().DownloadVerifiedAsync(_h.Server.Url("/files/kubectl"), sha256, DestDir, 1 << 20, _h.Progress(), CancellationToken.None));

        Assert.Equal($"the expected sha256 \"{sha256}\" is not 64 lowercase hex characters", ex.Message);
        Assert.Equal(0, _h.Server.Requests("/files/kubectl"));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/kubectl")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/files/kubectl")]
    public async Task Download_NotHttpUrl_IsRefused(string url)
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() =>
            _h.Downloader().DownloadVerifiedAsync(url, _sha, DestDir, 1 << 20, _h.Progress(), CancellationToken.None));

        Assert.Equal($"\"{url}\" is not an http:// or https:// URL", ex.Message);
    }

    [Fact]
    public async Task Download_ConnectionRefused_IsRetriedUntilTheDeadline()
    {
        _h.StepTimeout = TimeSpan.FromSeconds(1);
        var url = $"http://127.0.0.1:{FreePort.Next()}/kubectl";

        var ex = await Assert.ThrowsAsync<StepFailedException>(() =>
            _h.Downloader().DownloadVerifiedAsync(url, _sha, DestDir, 1 << 20, _h.Progress(), CancellationToken.None));

        Assert.Matches($@"^download of {Regex.Escape(url)} did not complete within the step's timeout: \d+ attempt\(s\), 0 bytes kept; last error: cannot fetch {Regex.Escape(url)}: ", ex.Message);
    }

    [Fact]
    public async Task Download_DeadlineMidTransfer_FailsNamingTheAttemptAndTheBytesKept()
    {
        _h.Options.DownloadStallTimeout = TimeSpan.FromMinutes(5);
        using var deadline = new CancellationTokenSource(); // passed by hand once the body has begun: no race with a busy machine
        var progress = new StepProgress("step-1", _h.Sink, TimeProvider.System) { Deadline = DateTimeOffset.UtcNow.AddHours(1), DeadlineReached = deadline.Token };

        // StepRunner's token is cancelled at the deadline too: the attempt in flight ends there.
        var download = _h.Downloader().DownloadVerifiedAsync(_h.Server.Url("/stall/kubectl"), _sha, DestDir, 1 << 20, progress, deadline.Token);
        await Eventually.Until(() => _h.Updates().Any(u => u.BytesDone > 0), "the body has begun");
        await deadline.CancelAsync();
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => download.DefaultTimeout());

        var match = Regex.Match(ex.Message, $@"^download of {Regex.Escape(_h.Server.Url("/stall/kubectl"))} did not complete within the step's timeout: 1 attempt\(s\), (\d+) bytes kept; last error: none \(the last attempt was still transferring\)$");
        Assert.True(match.Success, ex.Message);
        Assert.InRange(long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 5000); // the half the server sent, or what of it was read
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    [Fact]
    public async Task Download_CancelledWhileStalled_ThrowsCancelledAndLeavesNothing()
    {
        _h.Options.DownloadStallTimeout = TimeSpan.FromMinutes(5);
        using var cts = new CancellationTokenSource();
        var download = _h.Downloader().DownloadVerifiedAsync(_h.Server.Url("/stall/kubectl"), _sha, DestDir, 1 << 20, _h.Progress(), cts.Token);
        await Eventually.Until(() => _h.Updates().Any(u => u.BytesDone > 0), "the download has begun writing");

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download.DefaultTimeout());
        Assert.Equal(1, _h.Server.Requests("/stall/kubectl"));
        Assert.Empty(ArtifactHarness.Leftovers(DestDir));
    }

    /// <summary>The attempts a deadline failure names; it must name <paramref name="lastError"/> as the last error.</summary>
    private int AttemptsNamed(StepFailedException ex, string path, string lastError)
    {
        var match = Regex.Match(ex.Message, $@"^download of {Regex.Escape(_h.Server.Url(path))} did not complete within the step's timeout: (\d+) attempt\(s\), \d+ bytes kept; last error: (.*)$");
        Assert.True(match.Success, ex.Message);
        Assert.Equal(lastError, match.Groups[2].Value);
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private Task<string> Download(string path, long maxBytes = 1 << 20) =>
        _h.Downloader().DownloadVerifiedAsync(_h.Server.Url(path), _sha, DestDir, maxBytes, _h.Progress(), CancellationToken.None);
}

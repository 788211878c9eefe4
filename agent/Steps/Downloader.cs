using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using Fleet.Agent.Configuration;
using Fleet.Agent.Session;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Steps;

/// <summary>
/// Downloads one file into a temporary file in the destination folder, flushed to disk and verified
/// whole (sha256 and size cap) at the end. Transient failures (an unreachable host, a refused or reset
/// connection, 5xx, 408, 429, no bytes for <see cref="AgentOptions.DownloadStallTimeout"/>) are retried
/// with capped, jittered exponential backoff until the step's own deadline
/// (<see cref="StepProgress.Deadline"/>), not a fixed count; each attempt continues the part file with an
/// HTTP Range request where the server allows it (<see cref="PartialDownload"/>). A 4xx, a checksum
/// mismatch of a file fetched in one piece, a file over the size cap or a refused redirect fail at
/// once. The caller renames the returned file into place, or deletes it; on failure nothing is left behind.
/// </summary>
public sealed class Downloader(HttpClient http, AgentOptions options, LeftoverFiles leftovers, TimeProvider time, ILogger<Downloader> logger)
{
    /// <summary>Redirects followed, each to the same scheme, host and port as the URL asked for.</summary>
    public const int MaxRedirects = 5;

    /// <summary>
    /// The agent's HTTP client for downloads: no overall timeout (the Downloader detects stalls per
    /// read), no decompression (the checksum is of the bytes served), and no redirect followed on its
    /// own: the Downloader decides which redirects it follows (<see cref="SendAsync"/>).
    /// </summary>
    public static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15), AutomaticDecompression = DecompressionMethods.None, AllowAutoRedirect = false })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

    private readonly Backoff _backoff = new(options.DownloadRetryBase, options.DownloadRetryCap, Random.Shared);

    public async Task<string> DownloadVerifiedAsync(string url, string sha256, string destDir, long maxBytes, StepProgress progress, CancellationToken ct)
    {
        if (!Sha256Text.IsValid(sha256))
        {
            throw new StepFailedException($"the expected sha256 \"{sha256}\" is not 64 lowercase hex characters");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new StepFailedException($"\"{url}\" is not an http:// or https:// URL");
        }

        Directory.CreateDirectory(destDir);
        var part = new PartialDownload(leftovers.NewPartFile(destDir));
        try
        {
            await using (new FileStream(part.Path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // created empty: every attempt appends to it
            }

            await RetryUntilDeadlineAsync(uri, sha256, part, maxBytes, progress, ct);
            return part.Path;
        }
        catch
        {
            File.Delete(part.Path);
            throw;
        }
    }

    private async Task RetryUntilDeadlineAsync(Uri uri, string sha256, PartialDownload part, long maxBytes, StepProgress progress, CancellationToken ct)
    {
        string? lastError = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await AttemptAsync(uri, part, maxBytes, progress, ct);
                var actual = await VerifyAsync(part, uri, maxBytes, ct);
                if (actual == sha256)
                {
                    return;
                }

                if (!part.Resumed)
                {
                    throw new StepFailedException($"checksum mismatch for {uri}: expected sha256 {sha256}, got {actual}");
                }

                // Spliced from two responses: the file may have changed between them without a
                // validator saying so. Once more, whole; a second mismatch is definitive.
                part.RestartWithoutRange();
                throw new TransientDownloadException($"checksum mismatch for {uri} after resuming (expected sha256 {sha256}, got {actual}): starting over without Range", retryAtOnce: true);
            }
            catch (TransientDownloadException ex)
            {
                lastError = ex.Message;
                if (progress.DeadlineReached.IsCancellationRequested)
                {
                    throw GaveUp(uri, attempt, part, lastError);
                }

                ct.ThrowIfCancellationRequested(); // cancelled as it failed: a cancel, not a failure
                var delay = ex.RetryAtOnce ? TimeSpan.Zero : _backoff.Delay(attempt - 1);
                if (progress.Deadline is { } deadline && time.GetUtcNow() + delay >= deadline)
                {
                    throw GaveUp(uri, attempt, part, lastError);
                }

                progress.Log($"download attempt {attempt} failed: {ex.Message}; retrying in {delay.TotalSeconds:0.0} s" + (part.Length > 0 && part.RangeUsable ? $" from byte {part.Length}" : ""));
                AgentLog.DownloadRetry(logger, uri.ToString(), attempt, ex.Message);
                await progress.StateAsync(V1.StepState.Retrying, ct);
                await Task.Delay(delay, time, ct);
            }
            catch (OperationCanceledException) when (progress.DeadlineReached.IsCancellationRequested)
            {
                throw GaveUp(uri, attempt, part, lastError);
            }
        }
    }

    /// <summary>The step's deadline ends the retries: the failure names the attempts and the last error.</summary>
    private static StepFailedException GaveUp(Uri uri, int attempts, PartialDownload part, string? lastError) =>
        new($"download of {uri} did not complete within the step's timeout: {attempts} attempt(s), {part.Length} bytes kept; last error: {lastError ?? "none (the last attempt was still transferring)"}");

    private async Task AttemptAsync(Uri uri, PartialDownload part, long maxBytes, StepProgress progress, CancellationToken ct)
    {
        using var response = await SendAsync(uri, part.Prepare, ct);
        var (offset, note) = part.Accept(response, uri, maxBytes);
        if (note is not null)
        {
            progress.Log(note);
        }

        if (offset > 0)
        {
            progress.Log($"resuming {uri} from byte {offset}");
        }

        await progress.StateAsync(V1.StepState.Downloading, ct);
        await CopyAsync(response, part, maxBytes, progress, ct);
    }

    /// <summary>The whole file on disk, read back: the size cap again, and its sha256.</summary>
    private static async Task<string> VerifyAsync(PartialDownload part, Uri uri, long maxBytes, CancellationToken ct)
    {
        await using var file = new FileStream(part.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (file.Length > maxBytes)
        {
            throw new StepFailedException($"{uri} is over the size cap of {maxBytes} bytes");
        }

        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
    }

    /// <summary>
    /// GET with the response headers in; follows at most <see cref="MaxRedirects"/> redirects, and only
    /// to the same scheme, host and port: a catalog URL that redirects elsewhere (another host or port,
    /// file://, http:// from https://) would let whoever answers it make the node fetch from anywhere
    /// it can reach, its own loopback services included. Such a redirect fails the step, naming it.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Uri uri, Action<HttpRequestMessage> prepare, CancellationToken ct)
    {
        var current = uri;
        for (var redirects = 0; ; redirects++)
        {
            var response = await SendOnceAsync(current, prepare, ct);
            if (!IsRedirect(response.StatusCode))
            {
                return response;
            }

            using (response)
            {
                var location = response.Headers.Location;
                if (location is null)
                {
                    throw new StepFailedException($"HTTP {(int)response.StatusCode} from {current} without a Location header");
                }

                var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                if (!SameOrigin(next, uri))
                {
                    throw new StepFailedException($"{current} redirects to {next}, not on {uri.GetLeftPart(UriPartial.Authority)}: refusing it (Fleet follows redirects only on the same scheme, host and port; give the catalog the final URL or a mirror)");
                }

                if (redirects == MaxRedirects)
                {
                    throw new StepFailedException($"{uri} redirects more than {MaxRedirects} times; refusing it");
                }

                current = next;
            }
        }
    }

    private static bool IsRedirect(HttpStatusCode code) => (int)code is 301 or 302 or 303 or 307 or 308;

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private async Task<HttpResponseMessage> SendOnceAsync(Uri uri, Action<HttpRequestMessage> prepare, CancellationToken ct)
    {
        HttpResponseMessage response;
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(ct);
        headers.CancelAfter(options.DownloadStallTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        prepare(request);
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token);
        }
        catch (HttpRequestException ex) when (ex.InnerException is AuthenticationException)
        {
            // A certificate that does not verify does not start verifying on a retry.
            throw new StepFailedException($"cannot fetch {uri}: {ex.GetBaseException().Message}");
        }
        catch (HttpRequestException ex)
        {
            throw new TransientDownloadException($"cannot fetch {uri}: {ex.GetBaseException().Message}", ex);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TransientDownloadException($"no response from {uri} within {options.DownloadStallTimeout.TotalSeconds:0.#} s");
        }

        // A 416 answers a Range request: PartialDownload decides what it means.
        if (response.IsSuccessStatusCode || IsRedirect(response.StatusCode) || response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && request.Headers.Range is not null)
        {
            return response;
        }

        using (response)
        {
            var code = (int)response.StatusCode;
            var what = $"HTTP {code} {response.ReasonPhrase} from {uri}";
            throw code >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
                ? new TransientDownloadException(what)
                : new StepFailedException(what);
        }
    }

    /// <summary>Appends the body to the part file, bounded by the size cap, a stall abandoning the attempt.</summary>
    private async Task CopyAsync(HttpResponseMessage response, PartialDownload part, long maxBytes, StepProgress progress, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await using var file = new FileStream(part.Path, FileMode.Open, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        file.SetLength(part.Length); // the offset accepted: 0 when the file starts over, else its length
        file.Seek(part.Length, SeekOrigin.Begin);
        var buffer = new byte[1 << 16];
        var total = part.ExpectedTotal ?? 0;
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            while (true)
            {
                stall.CancelAfter(options.DownloadStallTimeout);
                int read;
                try
                {
                    read = await body.ReadAsync(buffer, stall.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TransientDownloadException($"no data for {options.DownloadStallTimeout.TotalSeconds:0.#} s after {part.Length} bytes (stalled)");
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException)
                {
                    throw new TransientDownloadException($"the transfer broke after {part.Length} bytes: {ex.GetBaseException().Message}", ex);
                }

                if (read == 0)
                {
                    break;
                }

                if (part.Length + read > maxBytes)
                {
                    throw new StepFailedException($"{response.RequestMessage?.RequestUri} is over the size cap of {maxBytes} bytes");
                }

                await file.WriteAsync(buffer.AsMemory(0, read), ct);
                part.Advance(read);
                await progress.BytesAsync(part.Length, total, ct);
            }
        }
        finally
        {
            // What arrived stays on disk for the next attempt to continue.
            await file.FlushAsync(CancellationToken.None);
            file.Flush(flushToDisk: true);
        }

        await progress.BytesAsync(part.Length, total, ct, force: true);
        if (part.ExpectedTotal is { } expected && part.Length != expected)
        {
            var problem = $"{response.RequestMessage?.RequestUri} ended the body at byte {part.Length} of the {expected} it announced";
            if (part.Length > expected)
            {
                part.Restart(); // more than announced: none of it can be trusted as a prefix
            }

            throw new TransientDownloadException(problem);
        }
    }
}

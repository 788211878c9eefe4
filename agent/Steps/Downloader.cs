using System.Net;
using System.Security.Cryptography;
using Fleet.Agent.Configuration;
using Fleet.Agent.Session;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Steps;

/// <summary>
/// Downloads one file into a temporary file in the destination folder, hashing in the same pass,
/// flushed to disk. Transient failures (5xx, 408, 429, connection errors, a stalled body) are retried
/// with backoff; a checksum mismatch, a 4xx or a file over the size cap are not. The caller renames
/// the returned file into place, or deletes it; on failure nothing is left behind.
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

    private readonly Backoff _backoff = new(options.DownloadRetryBase, TimeSpan.FromSeconds(10), Random.Shared);

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
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AttemptAsync(uri, sha256, destDir, maxBytes, progress, ct);
            }
            catch (TransientDownloadException ex) when (attempt <= options.DownloadRetries && !ct.IsCancellationRequested)
            {
                var delay = _backoff.Delay(attempt - 1);
                progress.Log($"download attempt {attempt} failed: {ex.Message}; retrying in {delay.TotalSeconds:0.0} s");
                AgentLog.DownloadRetry(logger, url, attempt, ex.Message);
                await progress.StateAsync(V1.StepState.Retrying, ct);
                await Task.Delay(delay, time, ct);
            }
            catch (TransientDownloadException ex)
            {
                throw new StepFailedException($"download of {url} failed after {attempt} attempts: {ex.Message}");
            }
        }
    }

    private async Task<string> AttemptAsync(Uri uri, string sha256, string destDir, long maxBytes, StepProgress progress, CancellationToken ct)
    {
        using var response = await SendAsync(uri, ct);
        if (response.Content.Headers.ContentLength is { } length && length > maxBytes)
        {
            throw new StepFailedException($"{uri} is {length} bytes, over the size cap of {maxBytes} bytes");
        }

        await progress.StateAsync(V1.StepState.Downloading, ct);
        var temp = leftovers.NewPartFile(destDir);
        try
        {
            var actual = await CopyHashingAsync(response, temp, maxBytes, response.Content.Headers.ContentLength ?? 0, progress, ct);
            if (actual != sha256)
            {
                throw new StepFailedException($"checksum mismatch for {uri}: expected sha256 {sha256}, got {actual}");
            }

            return temp;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// GET with the response headers in; follows at most <see cref="MaxRedirects"/> redirects, and only
    /// to the same scheme, host and port: a catalog URL that redirects elsewhere (another host or port,
    /// file://, http:// from https://) would let whoever answers it make the node fetch from anywhere
    /// it can reach, its own loopback services included. Such a redirect fails the step, naming it.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Uri uri, CancellationToken ct)
    {
        var current = uri;
        for (var redirects = 0; ; redirects++)
        {
            var response = await SendOnceAsync(current, ct);
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

    private async Task<HttpResponseMessage> SendOnceAsync(Uri uri, CancellationToken ct)
    {
        HttpResponseMessage response;
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(ct);
        headers.CancelAfter(options.DownloadStallTimeout);
        try
        {
            response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, headers.Token);
        }
        catch (HttpRequestException ex)
        {
            throw new TransientDownloadException($"cannot fetch {uri}: {ex.GetBaseException().Message}", ex);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TransientDownloadException($"no response from {uri} within {options.DownloadStallTimeout.TotalSeconds:0.#} s");
        }

        if (response.IsSuccessStatusCode || IsRedirect(response.StatusCode))
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

    private async Task<string> CopyHashingAsync(HttpResponseMessage response, string temp, long maxBytes, long total, StepProgress progress, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        var buffer = new byte[1 << 16];
        long done = 0;
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
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
                throw new TransientDownloadException($"no data for {options.DownloadStallTimeout.TotalSeconds:0.#} s after {done} bytes (stalled)");
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                throw new TransientDownloadException($"the transfer broke after {done} bytes: {ex.GetBaseException().Message}", ex);
            }

            if (read == 0)
            {
                break;
            }

            done += read;
            if (done > maxBytes)
            {
                throw new StepFailedException($"{response.RequestMessage?.RequestUri} is over the size cap of {maxBytes} bytes");
            }

            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), ct);
            await progress.BytesAsync(done, total, ct);
        }

        await file.FlushAsync(ct);
        file.Flush(flushToDisk: true);
        await progress.BytesAsync(done, total, ct, force: true);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

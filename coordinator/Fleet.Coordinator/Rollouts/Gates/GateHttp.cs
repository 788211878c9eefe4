namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>
/// The HTTP client of the gates, on a handler of its own: redirects are never followed (the first answer's status
/// is the gate's: no hop to another scheme or host), no cookies, no decompression, and every request bounded in
/// time (<see cref="GateOptions.RequestTimeout"/>, body included) and in what it reads.
/// </summary>
public sealed class GateHttp : IDisposable
{
    private readonly GateOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _client;

    public GateHttp(GateOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _client = new HttpClient(PlanUrlHandler.Create(options.RequestTimeout))
        {
            Timeout = Timeout.InfiniteTimeSpan, // bounded by our own timer, on the TimeProvider
        };
    }

    /// <summary>GETs the URL and reads at most <paramref name="maxBody"/> bytes of the answer (none when 0).
    /// Throws <see cref="GateHttpException"/> with a bounded reason when there is no answer.</summary>
    public async Task<GateResponse> GetAsync(Uri url, int maxBody, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var status = (int)response.StatusCode;
            if (maxBody == 0)
            {
                return new GateResponse(status, [], false);
            }

            if (response.Content.Headers.ContentLength > maxBody)
            {
                return new GateResponse(status, [], true);
            }

            await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
            var buffer = new byte[maxBody + 1];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), linked.Token);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return read > maxBody ? new GateResponse(status, [], true) : new GateResponse(status, buffer[..read], false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new GateHttpException($"no answer from {Where(url)} within {DurationText.Format(_options.RequestTimeout)}");
        }
        catch (HttpRequestException ex)
        {
            throw new GateHttpException($"{Where(url)} unreachable: {BoundedText.Of(ex.GetBaseException().Message)}");
        }
        catch (IOException ex)
        {
            throw new GateHttpException($"{Where(url)}: the answer broke off: {BoundedText.Of(ex.GetBaseException().Message)}");
        }
    }

    /// <summary>scheme://host:port/path, never the query string.</summary>
    public static string Where(Uri url) => url.GetLeftPart(UriPartial.Path);

    public void Dispose() => _client.Dispose();
}

/// <param name="Truncated">the answer was longer than the bound: <paramref name="Body"/> is empty</param>
public sealed record GateResponse(int Status, byte[] Body, bool Truncated);

public sealed class GateHttpException(string message) : Exception(message);

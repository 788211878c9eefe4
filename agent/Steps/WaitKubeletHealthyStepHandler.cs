using System.Text;
using Fleet.Agent.Configuration;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// Polls the kubelet's healthz (loopback HTTP only) until it answers 200 "ok", within the step's
/// timeout. A log line when the wait starts, one each time the answer changes (refused, a status, a
/// body), and one when the kubelet is healthy: not one per poll.
/// </summary>
public sealed class WaitKubeletHealthyStepHandler(HttpClient http, AgentOptions options, TimeProvider time) : IStepHandler
{
    private const int MaxBody = 256;

    public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.WaitKubeletHealthy;

    /// <summary>Time between polls.</summary>
    internal TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>One poll that gets no answer in this time counts as "no answer" and the next follows.</summary>
    internal TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public async Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct)
    {
        var url = request.WaitKubeletHealthy.Url.Length > 0 ? request.WaitKubeletHealthy.Url : options.KubeletHealthzUrl;
        if (LoopbackHttpUrl.Problem(url) is { } problem)
        {
            throw new StepFailedException($"refusing to poll the kubelet: url: {problem}");
        }

        var uri = new Uri(url);
        progress.Log($"waiting for the kubelet: polling {url} every {Interval.TotalSeconds:0.###} s until it answers 200 \"ok\"");
        var started = time.GetTimestamp();
        string? last = null;
        for (var polls = 1; ; polls++)
        {
            var state = await PollAsync(uri, ct);
            if (state is null)
            {
                var elapsed = time.GetElapsedTime(started).TotalSeconds;
                progress.Log($"the kubelet is healthy: {url} answered ok (poll {polls}, after {elapsed:0.#} s)");
                return Results.Succeeded(request.Id, $"the kubelet is healthy ({url} answered ok)");
            }

            if (state != last)
            {
                progress.Log($"not healthy yet: {state}");
                last = state;
            }

            await Task.Delay(Interval, time, ct);
        }
    }

    /// <summary>Null when healthy; otherwise what the kubelet said (or did not).</summary>
    private async Task<string?> PollAsync(Uri uri, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var body = await ReadBodyAsync(response, linked.Token);
            return (int)response.StatusCode == 200 && body.Trim() == "ok"
                ? null
                : $"HTTP {(int)response.StatusCode}{(body.Length > 0 ? $" \"{body.Trim()}\"" : "")}";
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"no answer within {RequestTimeout.TotalSeconds:0.#} s";
        }
        catch (HttpRequestException ex)
        {
            return ex.Message; // e.g. "Connection refused (127.0.0.1:10248)"
        }
    }

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxBody];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
        }

        var text = Encoding.UTF8.GetString(buffer, 0, length).ReplaceLineEndings(" ");
        return length == MaxBody ? text + "…" : text;
    }
}

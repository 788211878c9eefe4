using System.Text.Json;

namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>
/// A prometheus gate: the instant query (/api/v1/query) must return no series, at every evaluation over its `for`
/// (every <see cref="GateOptions.PrometheusInterval"/>, and once more at the end). A series fails it at once, naming
/// the query and the series' labels; an unreachable server, an HTTP error, a query error or an answer that is not
/// Prometheus JSON fail it too: it never passes without a clean answer.
/// </summary>
public sealed class PrometheusGateCheck(GateHttp http, GateOptions options, TimeProvider time)
{
    /// <summary>Null when it held for its whole `for`, else why not. <paramref name="progress"/> hears "held 10s of 1m".</summary>
    public async Task<string?> CheckAsync(PrometheusGate gate, Action<string> progress, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            if (await EvaluateAsync(gate, ct) is { } failed)
            {
                return failed;
            }

            var held = time.GetElapsedTime(started);
            if (held >= gate.For)
            {
                return null;
            }

            var wait = gate.For - held < options.PrometheusInterval ? gate.For - held : options.PrometheusInterval;
            var next = Task.Delay(wait, time, ct); // the timer runs from here, before the progress says so
            progress($"held {DurationText.Format(TimeSpan.FromSeconds(Math.Floor(held.TotalSeconds)))} of {DurationText.Format(gate.For)}");
            await next;
        }
    }

    /// <summary>One evaluation: null when the query returned no series.</summary>
    public async Task<string?> EvaluateAsync(PrometheusGate gate, CancellationToken ct)
    {
        var at = $"prometheus {GateHttp.Where(gate.Url).TrimEnd('/')}";
        GateResponse response;
        try
        {
            response = await http.GetAsync(QueryUrl(gate), options.MaxPrometheusBodyBytes, ct);
        }
        catch (GateHttpException ex)
        {
            return $"{ex.Message} (query `{gate.Query}`)";
        }

        if (response.Truncated)
        {
            return $"{at}: the answer to `{gate.Query}` is larger than {options.MaxPrometheusBodyBytes} bytes (HTTP {response.Status})";
        }

        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(response.Body);
        }
        catch (JsonException)
        {
            return $"{at}: HTTP {response.Status}, not Prometheus JSON (query `{gate.Query}`)";
        }

        using (json)
        {
            return Verdict(at, gate.Query, response.Status, json.RootElement);
        }
    }

    private string? Verdict(string at, string query, int status, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("status", out var s) || s.ValueKind != JsonValueKind.String)
        {
            return $"{at}: HTTP {status}, not a Prometheus API answer (query `{query}`)";
        }

        if (s.GetString() != "success" || status is < 200 or > 299)
        {
            var type = root.TryGetProperty("errorType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : "error";
            var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : "";
            return $"{at}: query `{query}` failed (HTTP {status}, {BoundedText.Of(type, 40)}): {BoundedText.Of(error)}";
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("resultType", out var rt) || !data.TryGetProperty("result", out var result))
        {
            return $"{at}: answer to `{query}` has no data.resultType and data.result";
        }

        var resultType = rt.ValueKind == JsonValueKind.String ? rt.GetString() : null;
        if (resultType is not ("vector" or "matrix") || result.ValueKind != JsonValueKind.Array)
        {
            return $"{at}: query `{query}` returned a {BoundedText.Of(resultType ?? "?", 20)}, not series: a gate's query selects the unhealthy series (e.g. up == 0)";
        }

        var count = result.GetArrayLength();
        if (count == 0)
        {
            return null;
        }

        var named = result.EnumerateArray().Take(options.MaxSeriesInReason).Select(Series);
        return $"{at}: query `{query}` returned {count} series: {string.Join(", ", named)}{(count > options.MaxSeriesInReason ? ", …" : "")}";
    }

    /// <summary>{job="node", instance="pi1:9100"} = 1, each label bounded.</summary>
    private static string Series(JsonElement series)
    {
        var labels = series.ValueKind == JsonValueKind.Object && series.TryGetProperty("metric", out var m) && m.ValueKind == JsonValueKind.Object
            ? m.EnumerateObject().Take(20).Select(p => $"{BoundedText.Of(p.Name, 60)}=\"{BoundedText.Of(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText(), 100)}\"")
            : [];
        var value = series.ValueKind == JsonValueKind.Object && series.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 2
            ? $" = {BoundedText.Of(v[1].ValueKind == JsonValueKind.String ? v[1].GetString() : v[1].GetRawText(), 40)}"
            : "";
        return $"{{{string.Join(", ", labels)}}}{value}";
    }

    private static Uri QueryUrl(PrometheusGate gate)
    {
        var builder = new UriBuilder(gate.Url) { Query = $"query={Uri.EscapeDataString(gate.Query)}" };
        builder.Path = builder.Path.TrimEnd('/') + "/api/v1/query";
        return builder.Uri;
    }
}

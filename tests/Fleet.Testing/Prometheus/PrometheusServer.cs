using System.Diagnostics;
using System.Text.Json;

namespace Fleet.Testing.Prometheus;

/// <summary>
/// A real Prometheus (Debian's prometheus package, tests/install-deps.sh) started by the test on 127.0.0.1 with a
/// config and a storage folder in a temp folder, scraping the given targets every second. Stopped by its PID (the
/// process this class started, never another) on <see cref="StopAsync"/> and on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus";

    private readonly TempDir _dir;
    private readonly ServerProcess _process;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private PrometheusServer(TempDir dir, ServerProcess process, int port)
    {
        _dir = dir;
        _process = process;
        Url = $"http://127.0.0.1:{port}";
    }

    /// <summary>The server's base URL, http://127.0.0.1:PORT.</summary>
    public string Url { get; }

    public int Pid => _process.Pid;

    /// <summary>What it wrote so far (bounded), for a failure message.</summary>
    public string Output => _process.Output;

    public static async Task<PrometheusServer> StartAsync(params string[] targets)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: run tests/install-deps.sh as root (Debian package prometheus)");
        }

        var dir = new TempDir();
        var config = dir.Combine("prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: fleet-test
                static_configs:
                  - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]
            """);
        var port = FreePort.Next();
        var start = new ProcessStartInfo(Binary);
        foreach (var arg in new[] { $"--config.file={config}", $"--storage.tsdb.path={dir.Combine("data")}", $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = ServerProcess.Start(start);
        var server = new PrometheusServer(dir, process, port);
        try
        {
            await Eventually.Until(async () => !process.HasExited && await ReadyAsync(server.Url), ok => ok || process.HasExited, "prometheus is ready");
            if (process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {process.ExitCode}: {server.Output}");
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>The instant query's result series (data.result), as Prometheus answers it now.</summary>
    public async Task<int> SeriesAsync(string query)
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync($"{Url}/api/v1/query?query={Uri.EscapeDataString(query)}"));
        return doc.RootElement.GetProperty("data").GetProperty("result").GetArrayLength();
    }

    /// <summary>Waits until the query returns <paramref name="count"/> series (the scrapes have caught up with the exporter).</summary>
    public Task WaitForSeriesAsync(string query, int count) =>
        Eventually.Until(() => SeriesAsync(query), n => n == count, $"`{query}` returns {count} series");

    /// <summary>Kills the process this class started (by its PID) and waits for it to exit.</summary>
    public Task StopAsync() => _process.StopAsync();

    private static async Task<bool> ReadyAsync(string url)
    {
        try
        {
            using var response = await Http.GetAsync($"{url}/-/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            _dir.Dispose();
        }
    }
}

using System.Diagnostics;
using System.Security.Cryptography;
using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Fleet.Agent.Steps;
using Fleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Bench;

/// <summary>
/// Installing a large artifact over loopback, three ways, interleaved in the same run:
/// Fleet's one-pass verified download (hash while streaming, fsync, rename), `curl -o` then
/// `sha256sum` (two passes), and plain `curl -o` (no verification).
/// </summary>
internal static class DownloadBench
{
    public static async Task<int> RunAsync(int sizeMiB, int repetitions)
    {
        using var dir = new TempDir();
        var artifact = Path.Join(dir.Path, "artifact.bin");
        var data = new byte[sizeMiB * 1024 * 1024];
        Random.Shared.NextBytes(data);
        await File.WriteAllBytesAsync(artifact, data);
        var sha = Convert.ToHexStringLower(SHA256.HashData(data));
        data = [];
        await using var server = await ArtifactServer.StartAsync(dir.Path);
        var url = server.Url("/files/artifact.bin");
        var dest = Path.Join(dir.Path, "out");
        Directory.CreateDirectory(dest);

        var options = new AgentOptions { DownloadMaxBytes = long.MaxValue, Root = dir.Path };
        using var http = Downloader.CreateHttpClient();
        var leftovers = new LeftoverFiles(new HostPaths(options), NullLogger<LeftoverFiles>.Instance);
        var downloader = new Downloader(http, options, leftovers, TimeProvider.System, NullLogger<Downloader>.Instance);
        var progress = new StepProgress("bench", new StepSink(), TimeProvider.System);

        var fleet = new List<double>();
        var curlSha = new List<double>();
        var curl = new List<double>();
        await Shell($"curl -sf -o {dest}/warm {url}"); // warm the page cache and the server
        for (var i = 0; i < repetitions; i++)
        {
            fleet.Add(await TimeAsync(async () =>
            {
                var temp = await downloader.DownloadVerifiedAsync(url, sha, dest, long.MaxValue, progress, CancellationToken.None);
                File.Move(temp, Path.Join(dest, "fleet.bin"), overwrite: true);
            }));
            curlSha.Add(await TimeAsync(() => Shell($"curl -sf -o {dest}/curl.bin {url} && sha256sum {dest}/curl.bin | grep -q {sha}")));
            curl.Add(await TimeAsync(() => Shell($"curl -sf -o {dest}/plain.bin {url}")));
        }

        Console.WriteLine($"Installing a {sizeMiB} MiB artifact over loopback, {repetitions} repetitions each, interleaved (median, min-max):");
        var baseline = Median(curl);
        Print("fleet one-pass verified (hash + fsync + rename)", fleet, baseline);
        Print("curl -o, then sha256sum (two passes)", curlSha, baseline);
        Print("curl -o (no verification)", curl, baseline);
        return 0;
    }

    private static void Print(string what, List<double> ms, double baseline) =>
        Console.WriteLine($"  {what,-50} {Median(ms),8:0} ms  ({ms.Min():0}-{ms.Max():0})  x{Median(ms) / baseline:0.00} of plain curl");

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalMilliseconds;
    }

    private static async Task Shell(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } })!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{command}` exited {process.ExitCode}");
        }
    }
}

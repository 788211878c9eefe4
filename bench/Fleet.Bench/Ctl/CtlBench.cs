using System.Diagnostics;
using Fleet.Bench.Load;
using Fleet.Testing;

namespace Fleet.Bench.Ctl;

/// <summary>
/// Issue 20, item 9: `fleetctl nodes list` end to end, as an operator runs it: a new fleetctl process
/// each time, over the coordinator's unix socket, against a real coordinator process with N enrolled
/// and connected simulated agents (real mTLS, as in the load benchmark). Each binary given is timed
/// from the process start to its exit, output read through a pipe (so the table is whole, as when
/// piped); the JIT build runs through its apphost, as the JIT package ran it. Nothing is asserted.
/// </summary>
internal static class CtlBench
{
    public static async Task<int> RunAsync(int nodes, int reps, IReadOnlyList<(string Label, string Path)> binaries, TimeSpan bound, CancellationToken ct)
    {
        foreach (var (label, path) in binaries)
        {
            if (!File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"fleet-bench: ctl: the {label} fleetctl {path} does not exist");
                return 2;
            }
        }

        using var dir = new TempDir();
        await using var coordinator = new CoordinatorUnderTest(dir.Path, TimeSpan.FromSeconds(5));
        await coordinator.StartAsync(ct);
        await using var fleet = await SimFleet.CreateAsync(coordinator, nodes, TimeSpan.Zero, ct);
        await fleet.EnrollAllAsync(16, ct);
        fleet.StartAll();
        if (!await fleet.WaitAllConnectedAsync(bound, ct))
        {
            Console.WriteLine($"ctl: only {fleet.ConnectedCount} of {nodes} simulated nodes connected within {bound.TotalSeconds:0} s");
            return 1;
        }

        Console.WriteLine($"ctl: `fleetctl nodes list` over the unix socket, {nodes} enrolled and connected nodes, {reps} runs per binary after one warm-up; load {LoadBench.LoadAverage()}");
        foreach (var (label, path) in binaries)
        {
            var (first, lines) = await RunOnceAsync(path, coordinator.Socket, ct); // warm-up: the page cache, not the process
            if (lines != nodes + 1)
            {
                Console.WriteLine($"  {label}: printed {lines} lines, not a header and {nodes} nodes");
                return 1;
            }

            var times = new List<double>();
            for (var i = 0; i < reps; i++)
            {
                times.Add((await RunOnceAsync(path, coordinator.Socket, ct)).Ms);
            }

            Console.WriteLine($"  {label,-4} {Stats.Summary(times)}, min {times.Min():0} ms, first run {first:0} ms  ({path}, {new FileInfo(path).Length / 1048576.0:0.0} MiB)");
        }

        Console.WriteLine($"  load after {LoadBench.LoadAverage()}");
        return 0;
    }

    private static async Task<(double Ms, int Lines)> RunOnceAsync(string fleetctl, string socket, CancellationToken ct)
    {
        var start = new ProcessStartInfo(fleetctl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "nodes", "list", "--socket", socket })
        {
            start.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {fleetctl}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var ms = clock.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fleetctl} nodes list exited {process.ExitCode}: {await stderr}");
        }

        return (ms, (await stdout).TrimEnd('\n').Split('\n').Length);
    }
}

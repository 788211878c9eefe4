using System.Globalization;
using System.Text;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fleet.Bench.Load;

/// <summary>The load scenarios, in order for each N: enroll, connect, steady state, fan-out, restart.</summary>
internal sealed record LoadOptions(IReadOnlyList<int> Counts, TimeSpan Heartbeat, TimeSpan Steady, TimeSpan Settle, TimeSpan Bound, int EnrollParallel, IReadOnlyDictionary<string, string> CoordinatorEnvironment);

internal static class LoadBench
{
    /// <summary>The "late" threshold: a heartbeat recorded more than this after the agent sent it.</summary>
    public const double LateSeconds = 1.0;

    public static async Task<int> RunAsync(LoadOptions options, CancellationToken ct)
    {
        var status = 0;
        foreach (var count in options.Counts)
        {
            Console.WriteLine();
            var environment = options.CoordinatorEnvironment.Count == 0 ? "" : $"; coordinator environment {string.Join(' ', options.CoordinatorEnvironment.Select(e => $"{e.Key}={e.Value}"))}";
            Console.WriteLine($"=== {count} simulated agents (heartbeat every {options.Heartbeat.TotalSeconds:0.#} s{environment}; load before: {LoadAverage()}) ===");
            try
            {
                await RunOneAsync(count, options, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                Console.WriteLine($"  FAILED at {count} agents: {ex.GetType().Name}: {ex.Message}");
                status = 1;
            }
        }

        return status;
    }

    private static async Task RunOneAsync(int count, LoadOptions options, CancellationToken ct)
    {
        using var dir = new TempDir();
        await using var coordinator = new CoordinatorUnderTest(dir.Path, options.Heartbeat, options.CoordinatorEnvironment);
        await coordinator.StartAsync(ct);
        Console.WriteLine($"  coordinator pid {coordinator.Pid}, log {coordinator.LogFile} (kept until the run ends)");
        await using var fleet = await SimFleet.CreateAsync(coordinator, count, TimeSpan.Zero, ct);

        var enrolled = await fleet.EnrollAllAsync(options.EnrollParallel, ct);
        Console.WriteLine($"  enroll:   {count} agents enrolled (key, CSR, token, certificate) in {enrolled.TotalSeconds:0.0} s, {count / enrolled.TotalSeconds:0} a second, {options.EnrollParallel} at a time");

        await ConnectAsync(coordinator, fleet, options, ct);
        await SteadyAsync(coordinator, fleet, options, ct);
        await FanOutAsync(coordinator, fleet, options, ct);
        var peak = coordinator.Sample().PeakRssMiB;
        await RestartAsync(coordinator, fleet, options, ct);
        Console.WriteLine($"  coordinator peak RSS: {peak:0} MiB until the restart, {coordinator.Sample().PeakRssMiB:0} MiB after it");
    }

    private static async Task ConnectAsync(CoordinatorUnderTest coordinator, SimFleet fleet, LoadOptions options, CancellationToken ct)
    {
        var before = coordinator.Sample();
        var start = Clock.NowMs;
        fleet.StartAll();
        var all = await fleet.WaitAllConnectedAsync(options.Bound, ct);
        var after = coordinator.Sample();
        var times = fleet.Context.Recorder.Registrations.Select(t => t - start).ToList();
        var metrics = await coordinator.MetricsAsync(ct);
        Console.WriteLine(all
            ? $"  connect:  all {fleet.Agents.Count} registered in {(Clock.NowMs - start) / 1000:0.00} s (each agent: {Stats.Summary(times)}); {fleet.Context.Recorder.Failures} failed attempts retried with backoff"
            : $"  connect:  only {fleet.ConnectedCount} of {fleet.Agents.Count} registered within {options.Bound.TotalSeconds:0} s");
        Console.WriteLine($"            coordinator: fleet_agents_connected {metrics.GetValueOrDefault("fleet_agents_connected")}, CPU {ProcSample.CpuPercent(before, after):0} % of one core meanwhile, RSS {after.RssMiB:0} MiB; load {LoadAverage()}");
        if (!all)
        {
            throw new TimeoutException("not every agent connected; the later scenarios need them all");
        }
    }

    private static async Task SteadyAsync(CoordinatorUnderTest coordinator, SimFleet fleet, LoadOptions options, CancellationToken ct)
    {
        await Task.Delay(options.Settle, ct);
        var recorder = fleet.Context.Recorder;
        recorder.ResetHeartbeatCounters();
        var metricsBefore = await coordinator.MetricsAsync(ct);
        var before = coordinator.Sample();
        await Task.Delay(options.Steady, ct);
        var after = coordinator.Sample();
        var metricsAfter = await coordinator.MetricsAsync(ct);
        var seconds = (after.At - before.At) / 1000;
        var received = Delta(metricsBefore, metricsAfter, "fleet_heartbeats_received_total");
        var expected = fleet.Agents.Count * seconds / options.Heartbeat.TotalSeconds;
        var lag = Histogram(metricsBefore, metricsAfter, "fleet_heartbeat_lag_seconds");
        var observed = Delta(metricsBefore, metricsAfter, "fleet_heartbeat_lag_seconds_count");
        var onTime = lag.GetValueOrDefault(LateSeconds);
        Console.WriteLine($"  steady:   {seconds:0} s window after {options.Settle.TotalSeconds:0} s settling: coordinator CPU {ProcSample.CpuPercent(before, after):0} % of one core, RSS {after.RssMiB:0} MiB (peak {after.PeakRssMiB:0} MiB); load {LoadAverage()}");
        Console.WriteLine($"            heartbeats recorded {received:0} of {expected:0} due ({received / seconds:0} a second); late (recorded > {LateSeconds:0.#} s after sent_at): {observed - onTime:0} ({Percent(observed - onTime, observed)}); lag p50 {Quantile(lag, 0.5)}, p99 {Quantile(lag, 0.99)}, max {Quantile(lag, 1)}");
        Console.WriteLine($"            load generator: {recorder.Heartbeats} heartbeats sent, {recorder.HeartbeatsSentLate} left > 100 ms after their time (max {recorder.HeartbeatMaxSendDelayMs:0} ms)");
    }

    private static async Task FanOutAsync(CoordinatorUnderTest coordinator, SimFleet fleet, LoadOptions options, CancellationToken ct)
    {
        await coordinator.Control.ApplyCatalogAsync(new ApplyCatalogRequest { Yaml = BenchCatalog.Yaml }, cancellationToken: ct);
        var before = coordinator.Sample();
        var request = new RunStepRequest
        {
            Selector = new NodeSelector(),
            Timeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(5)),
            Download = new RunDownload { Component = BenchCatalog.Noop, Version = BenchCatalog.Version, Dest = "/opt/bench/noop" },
        };
        var start = Clock.NowMs;
        using var call = coordinator.Control.RunStep(request, deadline: DateTime.UtcNow + options.Bound, cancellationToken: ct);
        var results = new List<double>();
        var failed = 0;
        double planned = 0;
        await foreach (var e in call.ResponseStream.ReadAllAsync(ct))
        {
            if (e.KindCase == RunStepEvent.KindOneofCase.Plan)
            {
                planned = Clock.NowMs - start;
            }
            else if (e.KindCase == RunStepEvent.KindOneofCase.Result)
            {
                results.Add(Clock.NowMs - start);
                failed += e.Result.Result.Outcome is StepOutcome.Succeeded or StepOutcome.AlreadySatisfied ? 0 : 1;
            }
        }

        var after = coordinator.Sample();
        var received = fleet.Context.Recorder.StepsReceived.Where(s => s.At >= start).Select(s => s.At - start).ToList();
        Console.WriteLine($"  fan-out:  one no-op step to all {fleet.Agents.Count}: results at fleetctl's end {Stats.Summary(results)}; {failed} failed; load {LoadAverage()}");
        Console.WriteLine($"            plan sent after {planned:0} ms; step requests reached the agents {Stats.Summary(received)}; coordinator CPU {ProcSample.CpuPercent(before, after):0} % of one core meanwhile");
        if (results.Count != fleet.Agents.Count)
        {
            throw new InvalidOperationException($"the run returned {results.Count} results for {fleet.Agents.Count} nodes");
        }
    }

    private static async Task RestartAsync(CoordinatorUnderTest coordinator, SimFleet fleet, LoadOptions options, CancellationToken ct)
    {
        var recorder = fleet.Context.Recorder;
        var killed = Clock.NowMs;
        await coordinator.KillAsync();
        await coordinator.StartAsync(ct);
        var up = Clock.NowMs;
        var deadline = up + options.Bound.TotalMilliseconds;
        while (recorder.Registrations.Count(t => t >= killed) < fleet.Agents.Count && Clock.NowMs < deadline)
        {
            await Task.Delay(100, ct);
        }

        var back = recorder.Registrations.Where(t => t >= killed).Select(t => t - up).Order().ToList();
        var attempts = recorder.Attempts.Where(t => t >= killed).Select(t => t - up).ToList();
        var metrics = await coordinator.MetricsAsync(ct);
        var sample = coordinator.Sample();
        Console.WriteLine(back.Count >= fleet.Agents.Count
            ? $"  restart:  SIGKILL, started again in {(up - killed) / 1000:0.00} s; all {fleet.Agents.Count} reconnected {back[^1] / 1000:0.00} s after it listened ({(back[^1] + up - killed) / 1000:0.00} s after the kill); load {LoadAverage()}"
            : $"  restart:  only {back.Count} of {fleet.Agents.Count} reconnected within {options.Bound.TotalSeconds:0} s");
        Console.WriteLine($"            {attempts.Count} connection attempts ({attempts.Count(a => a < 0)} before it listened); fleet_agents_connected {metrics.GetValueOrDefault("fleet_agents_connected")}; RSS {sample.RssMiB:0} MiB");
        Console.WriteLine("            reconnects per 100 ms after the coordinator listened (one row a second), and attempts (connects tried):");
        Console.Write(Curve(back, attempts));
    }

    /// <summary>Rows of ten 100 ms buckets: "  0 s | reg  12  40 ... | tried ...".</summary>
    private static string Curve(List<double> registrations, List<double> attempts)
    {
        var end = registrations.Count == 0 ? 0 : (int)(registrations[^1] / 1000) + 1;
        var text = new StringBuilder();
        for (var second = 0; second < Math.Min(end, 60); second++)
        {
            var reg = Enumerable.Range(0, 10).Select(b => registrations.Count(t => t >= second * 1000 + b * 100 && t < second * 1000 + (b + 1) * 100));
            var tried = Enumerable.Range(0, 10).Select(b => attempts.Count(t => t >= second * 1000 + b * 100 && t < second * 1000 + (b + 1) * 100));
            text.Append(CultureInfo.InvariantCulture, $"            {second,3} s | reconnected {string.Join(' ', reg.Select(c => $"{c,4}"))} | tried {string.Join(' ', tried.Select(c => $"{c,4}"))}\n");
        }

        return text.ToString();
    }

    private static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string series) =>
        after.GetValueOrDefault(series) - before.GetValueOrDefault(series);

    /// <summary>The histogram's cumulative counts over the window, by upper bound (+Inf as infinity).</summary>
    private static SortedDictionary<double, double> Histogram(Dictionary<string, double> before, Dictionary<string, double> after, string name)
    {
        var buckets = new SortedDictionary<double, double>();
        foreach (var (series, value) in after)
        {
            if (series.StartsWith($"{name}_bucket{{le=\"", StringComparison.Ordinal))
            {
                var le = series[(name.Length + 12)..^2];
                var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
                buckets[bound] = value - before.GetValueOrDefault(series);
            }
        }

        return buckets;
    }

    /// <summary>The smallest bucket bound holding the quantile: "≤ 0.05 s".</summary>
    private static string Quantile(SortedDictionary<double, double> buckets, double q)
    {
        if (buckets.Count == 0 || buckets.Values.Last() == 0)
        {
            return "n/a";
        }

        var total = buckets.Values.Last();
        var bound = buckets.First(b => b.Value >= q * total).Key;
        return double.IsPositiveInfinity(bound) ? "> 30 s" : $"<= {bound:0.###} s";
    }

    private static string Percent(double part, double whole) => whole == 0 ? "n/a" : $"{part / whole * 100:0.##} %";

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}

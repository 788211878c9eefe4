using System.CommandLine;
using Fleet.Bench.Load;

namespace Fleet.Bench;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        var size = new Option<int>("--size") { Description = "Artifact size in MiB", DefaultValueFactory = _ => 100 };
        var reps = new Option<int>("--reps") { Description = "Repetitions of each method", DefaultValueFactory = _ => 5 };
        var download = new Command("download", "Fleet's verified download against curl (with and without sha256sum)") { size, reps };
        download.SetAction((parse, _) => DownloadBench.RunAsync(parse.GetValue(size), parse.GetValue(reps)));

        var agents = new Option<string>("--agents") { Description = "Comma-separated numbers of simulated agents, one full run each", DefaultValueFactory = _ => "1000,5000,10000" };
        var heartbeat = new Option<int>("--heartbeat-ms") { Description = "Heartbeat interval the coordinator asks for", DefaultValueFactory = _ => 5000 };
        var steady = new Option<int>("--steady") { Description = "Seconds of steady state measured", DefaultValueFactory = _ => 60 };
        var settle = new Option<int>("--settle") { Description = "Seconds to wait after connecting before measuring the steady state", DefaultValueFactory = _ => 10 };
        var bound = new Option<int>("--bound") { Description = "Upper bound in seconds for each wait (connect, fan-out, reconnect)", DefaultValueFactory = _ => 300 };
        var enrollParallel = new Option<int>("--enroll-parallel") { Description = "Enrollments in flight at once", DefaultValueFactory = _ => 32 };
        var coordinatorEnv = new Option<string[]>("--coordinator-env") { Description = "KEY=VALUE in the coordinator's environment (repeatable), e.g. DOTNET_gcServer=0" };
        var load = new Command("load", "Simulated agents (real gRPC over mTLS, enrolled) against a fleet-coordinator process: connect, steady state, fan-out, restart")
        {
            agents, heartbeat, steady, settle, bound, enrollParallel, coordinatorEnv,
        };
        load.SetAction(async (parse, ct) =>
        {
            var counts = new List<int>();
            foreach (var part in parse.GetValue(agents)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, out var n) || n < 1 || n > SourceAddresses.Max)
                {
                    await Console.Error.WriteLineAsync($"fleet-bench: --agents: \"{part}\" is not a number of agents between 1 and {SourceAddresses.Max}");
                    return 2;
                }

                counts.Add(n);
            }

            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(coordinatorEnv) ?? [])
            {
                if (pair.Split('=', 2) is not [{ Length: > 0 } key, var value])
                {
                    await Console.Error.WriteLineAsync($"fleet-bench: --coordinator-env: \"{pair}\" is not KEY=VALUE");
                    return 2;
                }

                environment[key] = value;
            }

            var options = new LoadOptions(counts, TimeSpan.FromMilliseconds(parse.GetValue(heartbeat)), TimeSpan.FromSeconds(parse.GetValue(steady)),
                TimeSpan.FromSeconds(parse.GetValue(settle)), TimeSpan.FromSeconds(parse.GetValue(bound)), parse.GetValue(enrollParallel), environment);
            return await LoadBench.RunAsync(options, ct);
        });

        var nodes = new Option<int>("--nodes") { Description = "Simulated nodes in the rollout", DefaultValueFactory = _ => 100 };
        var stepMs = new Option<int>("--step-ms") { Description = "How long each simulated step takes", DefaultValueFactory = _ => 500 };
        var batch = new Option<int>("--batch-percent") { Description = "Batch size, in percent of the nodes", DefaultValueFactory = _ => 20 };
        var rolloutBound = new Option<int>("--bound") { Description = "Upper bound in seconds for the rollout", DefaultValueFactory = _ => 300 };
        var rollout = new Command("rollout", "A rollout of the upgrade recipe's agent steps over simulated nodes: total time against the ideal") { nodes, stepMs, batch, rolloutBound };
        rollout.SetAction((parse, ct) => RolloutBench.RunAsync(parse.GetValue(nodes), TimeSpan.FromMilliseconds(parse.GetValue(stepMs)), parse.GetValue(batch),
            TimeSpan.FromSeconds(parse.GetValue(rolloutBound)), ct));

        var ctlNodes = new Option<int>("--nodes") { Description = "Simulated nodes enrolled and connected", DefaultValueFactory = _ => 100 };
        var ctlReps = new Option<int>("--reps") { Description = "Timed runs of each fleetctl", DefaultValueFactory = _ => 20 };
        var jit = new Option<string>("--jit") { Description = "The JIT-compiled fleetctl (apphost)", DefaultValueFactory = _ => Path.Join(Fleet.Testing.Repo.Root, "coordinator/Fleet.Ctl/bin/Release/net10.0/fleetctl") };
        var aot = new Option<string>("--aot") { Description = "The Native AOT fleetctl, as packaging/publish.sh fleetctl amd64 made it (omit to time the JIT build only)" };
        var ctlBound = new Option<int>("--bound") { Description = "Upper bound in seconds for the nodes to connect", DefaultValueFactory = _ => 120 };
        var ctl = new Command("ctl", "`fleetctl nodes list` end to end over the unix socket against simulated nodes: the JIT build against Native AOT") { ctlNodes, ctlReps, jit, aot, ctlBound };
        ctl.SetAction((parse, ct) =>
        {
            var binaries = new List<(string, string)> { ("jit", parse.GetValue(jit)!) };
            if (parse.GetValue(aot) is { } aotPath)
            {
                binaries.Add(("aot", Path.Join(aotPath, Directory.Exists(aotPath) ? "fleetctl" : "")));
            }

            return Ctl.CtlBench.RunAsync(parse.GetValue(ctlNodes), parse.GetValue(ctlReps), binaries, TimeSpan.FromSeconds(parse.GetValue(ctlBound)), ct);
        });

        var prefetch = Fleet.Bench.Prefetch.PrefetchCommand.Create();
        var root = new RootCommand("fleet-bench: Fleet's benchmarks; each prints its figures") { download, load, rollout, ctl, prefetch };
        return root.Parse(args).InvokeAsync();
    }
}

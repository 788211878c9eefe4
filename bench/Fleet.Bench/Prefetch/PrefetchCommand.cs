using System.CommandLine;

namespace Fleet.Bench.Prefetch;

/// <summary>`fleet-bench prefetch`: <see cref="PrefetchBench"/>.</summary>
internal static class PrefetchCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Nodes upgraded, one at a time", DefaultValueFactory = _ => 3 };
        var size = new Option<int>("--size") { Description = "Size of each binary in MiB", DefaultValueFactory = _ => 4 };
        var rate = new Option<int>("--rate") { Description = "The artifact server's rate in KiB/s", DefaultValueFactory = _ => 2048 };
        var bound = new Option<int>("--bound") { Description = "Upper bound in seconds for each rollout", DefaultValueFactory = _ => 300 };
        var command = new Command("prefetch", "Time each node spends cordoned during an upgrade: downloads after the cordon (before) against prefetch first (after)") { nodes, size, rate, bound };
        command.SetAction((parse, ct) => PrefetchBench.RunAsync(parse.GetValue(nodes), parse.GetValue(size), parse.GetValue(rate), TimeSpan.FromSeconds(parse.GetValue(bound)), ct));
        return command;
    }
}

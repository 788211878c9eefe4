using System.CommandLine;

namespace Fleet.Bench;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        var size = new Option<int>("--size") { Description = "Artifact size in MiB", DefaultValueFactory = _ => 100 };
        var reps = new Option<int>("--reps") { Description = "Repetitions of each method", DefaultValueFactory = _ => 5 };
        var download = new Command("download", "Fleet's verified download against curl (with and without sha256sum)") { size, reps };
        download.SetAction((parse, _) => DownloadBench.RunAsync(parse.GetValue(size), parse.GetValue(reps)));
        var root = new RootCommand("fleet-bench: Fleet's benchmarks; each prints its figures") { download };
        return root.Parse(args).InvokeAsync();
    }
}

using System.Text.Json;
using Fleet.Ctl;

namespace Fleet.IntegrationTests;

/// <summary>fleetctl, run in this process with its output captured.</summary>
public static class Fleetctl
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Task<Result> RunAsync(params string[] args) => RunWithEnvironmentAsync(new Dictionary<string, string?>(), args);

    public static async Task<Result> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await FleetCtl.RunAsync(args, stdout, stderr, environment);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>`fleetctl nodes list -o json`, parsed.</summary>
    public static async Task<List<JsonElement>> NodesAsync(string socket)
    {
        var result = await RunAsync("nodes", "list", "-o", "json", "--socket", socket);
        Assert.True(result.ExitCode == 0, $"fleetctl failed ({result.ExitCode}): {result.Stderr}");
        return JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().ToList();
    }

    public static string Str(this JsonElement node, string property) => node.GetProperty(property).GetString()!;

    public static string Describe(this List<JsonElement> nodes) =>
        string.Join(", ", nodes.Select(n => $"{n.Str("name")}:{n.Str("status")}:{(n.GetProperty("connected").GetBoolean() ? "connected" : "gone")}"));
}

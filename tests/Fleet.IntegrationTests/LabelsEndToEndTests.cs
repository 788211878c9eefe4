using System.Text.Json;
using Fleet.Coordinator.Agents;
using Fleet.Testing;

namespace Fleet.IntegrationTests;

/// <summary>
/// Labels end to end with real agents, a real coordinator and fleetctl: a join token's label reaches the
/// node that enrolls with it (winning over the node's own), `nodes get`, `-o wide` and JSON show it,
/// `nodes list -l` selects by it and a plan targets by it; bad labels are usage errors at fleetctl.
/// </summary>
public sealed class LabelsEndToEndTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly List<TestAgent> _agents = [];
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    private Task<Fleetctl.Result> Ctl(params string[] args) => Fleetctl.RunAsync([.. args, "--socket", _coordinator.Socket]);

    private async Task<string> TokenAsync(params string[] labels)
    {
        var result = await Ctl(["token", "create", .. labels.SelectMany(l => new[] { "--label", l })]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout.Split('\n').Single(l => l.StartsWith("token:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
    }

    private async Task StartAgentAsync(string name, string token, Dictionary<string, string> labels)
    {
        var agent = new TestAgent(name, _coordinator.AgentUri, _dir.Combine(name));
        _agents.Add(agent);
        agent.Options.Labels = labels;
        await agent.EnrollAsync(token, _coordinator.CaPin);
        await agent.StartAsync();
    }

    private async Task<List<string>> SelectedAsync(params string[] selectors)
    {
        var result = await Ctl(["nodes", "list", "-o", "json", .. selectors.SelectMany(s => new[] { "-l", s })]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().Select(n => n.Str("name")).ToList();
    }

    [Fact]
    public async Task TokenLabel_ReachesTheNode_IsShown_SelectsIt_AndAPlanTargetsIt()
    {
        var create = await Ctl("token", "create", "--label", "role=worker,fleet.io/rack=r1");
        Assert.Contains("labels:  fleet.io/rack=r1,role=worker (given to every node that enrolls with it)", create.Stdout);
        var workerToken = create.Stdout.Split('\n').Single(l => l.StartsWith("token:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        await StartAgentAsync("pi-1", workerToken, new() { ["role"] = "control-plane", ["zone"] = "a" }); // its own role loses to the token's
        await StartAgentAsync("pi-2", await TokenAsync(), new() { ["role"] = "db", ["zone"] = "a" });
        await Eventually.Until(() => _coordinator.Service<AgentRegistry>().Count == 2, "both agents connect");

        // JSON: the merged labels, as an object in key order.
        var get = await Ctl("nodes", "get", "pi-1", "-o", "json");
        Assert.True(get.ExitCode == 0, get.Stderr);
        var labels = JsonDocument.Parse(get.Stdout).RootElement.GetProperty("labels");
        Assert.Equal(["fleet.io/rack", "role", "zone"], labels.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("r1", "worker", "a"), (labels.GetProperty("fleet.io/rack").GetString(), labels.GetProperty("role").GetString(), labels.GetProperty("zone").GetString()));

        // Tables: nodes get has a Labels row; -o wide a LABELS column.
        var table = await Ctl("nodes", "get", "pi-1");
        Assert.Contains(table.Stdout.Split('\n'), l => l.StartsWith("Labels ", StringComparison.Ordinal) && l.Contains("fleet.io/rack=r1,role=worker,zone=a", StringComparison.Ordinal));
        var wide = await Ctl("nodes", "list", "-o", "wide");
        Assert.Contains("LABELS", wide.Stdout.Split('\n')[0]);
        Assert.Contains("fleet.io/rack=r1,role=worker,zone=a", wide.Stdout);
        Assert.Contains("role=db,zone=a", wide.Stdout);

        // Selectors: every pair must match; repeatable and comma-separated.
        Assert.Equal(["pi-1"], await SelectedAsync("role=worker"));
        Assert.Equal(["pi-1"], await SelectedAsync("role=worker,zone=a"));
        Assert.Equal(["pi-1"], await SelectedAsync("zone=a", "fleet.io/rack=r1"));
        Assert.Equal(["pi-1", "pi-2"], await SelectedAsync("zone=a"));
        Assert.Empty(await SelectedAsync("role=worker", "zone=b"));
        Assert.Empty(await SelectedAsync("role=control-plane"));

        // A plan targets the node by its token's label.
        var plan = _dir.Combine("plan.yaml");
        await File.WriteAllTextAsync(plan, "target:\n  labels: { role: worker }\nsteps:\n  - systemd: { action: daemon-reload }\n");
        var planned = await Ctl("rollout", "plan", "-f", plan);
        Assert.True(planned.ExitCode == 0, planned.Stderr);
        Assert.Contains("pi-1", planned.Stdout);
        Assert.DoesNotContain("pi-2", planned.Stdout);
    }

    [Theory]
    [InlineData("Bad Key=v", "the label key \"Bad Key\" is not valid")]
    [InlineData("role", "\"role\" is not key=value")]
    [InlineData("role=a b", "the value \"a b\" of label \"role\" is not valid")]
    [InlineData("role=a,role=b", "the label key \"role\" is given twice")]
    public async Task BadLabels_AreUsageErrors_AtEveryFleetctlEntryPoint_AndNothingIsMade(string label, string expected)
    {
        var token = await Ctl("token", "create", "--label", label);
        var list = await Ctl("nodes", "list", "-l", label);

        Assert.Equal(2, token.ExitCode);
        Assert.Equal($"fleetctl: --label: {expected}", token.Stderr.Split('\n')[0][..$"fleetctl: --label: {expected}".Length]);
        Assert.Equal(2, list.ExitCode);
        Assert.StartsWith($"fleetctl: --selector: {expected}", list.Stderr);
        Assert.Equal("[]", (await Ctl("token", "list", "-o", "json")).Stdout.Trim());
    }

    [Fact]
    public async Task BadPlanTargetLabel_IsRefusedByPath_BeforeAnythingRuns()
    {
        var plan = _dir.Combine("plan.yaml");
        await File.WriteAllTextAsync(plan, "target:\n  labels: { \"Bad Key\": v, role: \"a b\" }\nsteps:\n  - systemd: { action: daemon-reload }\n");

        var planned = await Ctl("rollout", "plan", "-f", plan);

        Assert.NotEqual(0, planned.ExitCode);
        Assert.Contains("target.labels: the label key \"Bad Key\" is not valid", planned.Stderr);
        Assert.Contains("target.labels: the value \"a b\" of label \"role\" is not valid", planned.Stderr);
    }

    [Fact]
    public async Task TooManyLabels_OnAToken_IsAUsageError()
    {
        var many = string.Join(',', Enumerable.Range(0, NodeLabels.MaxCount + 1).Select(i => $"k{i}=v"));

        var token = await Ctl("token", "create", "--label", many);

        Assert.Equal(2, token.ExitCode);
        Assert.Contains($"{NodeLabels.MaxCount + 1} labels, at most {NodeLabels.MaxCount}", token.Stderr);
    }
}

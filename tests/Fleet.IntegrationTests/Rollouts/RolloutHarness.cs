using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// A real coordinator (with the recording Kubernetes double), a real artifact server with the multi-arch
/// fixtures, and real agents in this process, each pretending to be its own machine; plans go through fleetctl.
/// </summary>
public sealed partial class RolloutHarness : IAsyncDisposable
{
    private readonly List<TestAgent> _agents = [];
    private readonly FleetctlSession _ctl;

    private RolloutHarness(TempDir dir, TestCoordinator coordinator, ArtifactServer artifacts, RecordingKubernetesCluster kube)
    {
        Dir = dir;
        Coordinator = coordinator;
        Artifacts = artifacts;
        Kube = kube;
        _ctl = new FleetctlSession(dir, coordinator.Socket);
    }

    public TempDir Dir { get; }

    public TestCoordinator Coordinator { get; }

    public ArtifactServer Artifacts { get; }

    public RecordingKubernetesCluster Kube { get; }

    public IReadOnlyList<TestAgent> Agents => _agents;

    public static async Task<RolloutHarness> StartAsync(Action<Fleet.Coordinator.Hosting.CoordinatorOptions>? configure = null)
    {
        var dir = new TempDir();
        var kube = new RecordingKubernetesCluster();
        var options = TestCoordinator.OptionsIn(dir.Path);
        configure?.Invoke(options);
        var coordinator = await TestCoordinator.StartAsync(options, services: s => s.AddSingleton<IKubernetesClusterProvider>(kube));
        var artifacts = await ArtifactServer.StartAsync(Fixtures.Require(Fixtures.Artifacts));
        return new RolloutHarness(dir, coordinator, artifacts, kube);
    }

    /// <summary>An enrolled, connected agent; <paramref name="machine"/> is what uname(2) says (x86_64, aarch64, armv7l).</summary>
    public async Task<TestAgent> AgentAsync(string name, string machine = "x86_64", Action<TestAgent>? configure = null)
    {
        var agent = new TestAgent(name, Coordinator.AgentUri, Dir.Combine(name)) { Machine = machine };
        configure?.Invoke(agent);
        _agents.Add(agent);
        await agent.EnrollAsync(await Coordinator.CreateTokenAsync(uses: 1), Coordinator.CaPin);
        await agent.StartAsync();
        await Eventually.Until(async () => (await Fleetctl.NodesAsync(Coordinator.Socket)).Any(n => n.Str("name") == name && n.GetProperty("connected").GetBoolean()), ok => ok, $"{name} is connected");
        return agent;
    }

    /// <summary>Stops <paramref name="agent"/> and waits until the coordinator lists its node as not connected.</summary>
    public async Task DisconnectAsync(TestAgent agent)
    {
        await agent.StopAsync();
        await Eventually.Until(async () => (await Fleetctl.NodesAsync(Coordinator.Socket)).Any(n => n.Str("name") == agent.Name && !n.GetProperty("connected").GetBoolean()), ok => ok, $"{agent.Name} is gone");
    }

    public Task ApplyCatalogAsync(string yaml) => _ctl.ApplyCatalogAsync(yaml);

    public Task<Fleetctl.Result> CtlAsync(params string[] args) => _ctl.RunAsync(args);

    public Task<string> PlanFileAsync(string yaml) => _ctl.PlanFileAsync(yaml);

    /// <summary>`rollout apply -f`; returns the rollout id.</summary>
    public async Task<string> ApplyAsync(string yaml)
    {
        var result = await CtlAsync("rollout", "apply", "-f", await PlanFileAsync(yaml));
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        return StartedId().Match(result.Stdout).Groups[1].Value;
    }

    public static string IdFrom(Fleetctl.Result applied) => StartedId().Match(applied.Stdout).Groups[1].Value;

    /// <summary>`rollout get ID -o json`.</summary>
    public async Task<JsonElement> GetAsync(string id)
    {
        var result = await CtlAsync("rollout", "get", id, "-o", "json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    public Task<JsonElement> UntilStateAsync(string id, string state) =>
        Eventually.Until(() => GetAsync(id), r => State(r) == state, $"rollout {id} is {state}", TimeSpan.FromSeconds(60));

    public static string State(JsonElement rollout) => rollout.GetProperty("state").GetString()!;

    public static JsonElement Node(JsonElement rollout, string name) => rollout.GetProperty("nodes").EnumerateArray().Single(n => n.Str("name") == name);

    public static string NodeState(JsonElement rollout, string name) =>
        Node(rollout, name).GetProperty("state").GetString()!;

    public async Task<string> LogsAsync(string id, string? node = null)
    {
        var result = await CtlAsync(node is null ? ["rollout", "logs", id] : ["rollout", "logs", id, "--node", node]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await Artifacts.DisposeAsync();
        await Coordinator.DisposeAsync();
        Dir.Dispose();
    }

    [GeneratedRegex(@"rollout (r[0-9]+) started")]
    private static partial Regex StartedId();
}

using System.Text.RegularExpressions;
using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// The coordinator is killed with SIGKILL at three points of a rollout and started again on the same data
/// folder: the rollout continues where it stopped and finishes, and every step ran exactly once on every node
/// (counted by the kubeadm and systemctl doubles and by the artifact server).
/// </summary>
public sealed partial class RolloutCrashTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly List<(TestAgent Agent, TestDoubles Doubles)> _nodes = [];
    private CoordinatorProcess _coordinator = null!;
    private ArtifactServer _artifacts = null!;

    public async Task InitializeAsync()
    {
        _coordinator = new CoordinatorProcess(_dir.Combine("coordinator"));
        await _coordinator.StartAsync();
        _artifacts = await ArtifactServer.StartAsync(Fixtures.Require(Fixtures.Artifacts));
    }

    public async Task DisposeAsync()
    {
        foreach (var (agent, _) in _nodes)
        {
            await agent.DisposeAsync();
        }

        await _coordinator.DisposeAsync();
        await _artifacts.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task KilledThreeTimes_TheRolloutResumesAndFinishes_WithEveryStepRunExactlyOnce()
    {
        foreach (var name in new[] { "n1", "n2", "n3" })
        {
            await NodeAsync(name);
        }

        await ApplyCatalogAsync();
        foreach (var (_, doubles) in _nodes)
        {
            doubles.Sleep("kubeadm", 3); // a window to kill the coordinator while kubeadm runs on the node
        }

        var applied = await CtlAsync("rollout", "apply", "-f", await PlanAsync("""
            target: {}
            strategy: { batchSize: 1, pauseBetweenBatches: 5s }
            steps:
              - download: { component: kubeadm, version: v1.12.5, dest: /usr/bin/kubeadm }
              - kubeadm-upgrade: { mode: node }
              - systemd: { action: restart, unit: kubelet.service }
            """));
        Assert.True(applied.ExitCode == 0, applied.Stderr);

        // 1. While kubeadm runs on n1 (batch 1): the coordinator dies with the step in flight.
        await Eventually.Until(() => Upgrades("n1") == 1, "kubeadm runs on n1");
        await KillAndRestartAsync();

        // 2. In the pause between batch 2 and batch 3.
        await Eventually.Until(() => LogsAsync(), l => l.Contains("waiting 5 s before batch 3", StringComparison.Ordinal), "the wait before batch 3", TimeSpan.FromSeconds(90));
        await KillAndRestartAsync();

        // 3. While kubeadm runs on n3, and stays down until it has finished there: the result waits in n3's journal.
        await Eventually.Until(() => Upgrades("n3") == 1, "kubeadm runs on n3", TimeSpan.FromSeconds(60));
        await _coordinator.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(4));
        await _coordinator.StartAsync();

        var done = await Eventually.Until(() => GetStateAsync(), s => s is "succeeded" or "failed" or "aborted", "the rollout ends", TimeSpan.FromSeconds(90));
        var logs = await LogsAsync();
        Assert.True(done == "succeeded", logs);
        Assert.Equal(4, _coordinator.Starts);
        Assert.Equal(3, Regex.Count(logs, "the coordinator restarted: resuming where the rollout stopped"));
        foreach (var (agent, doubles) in _nodes)
        {
            Assert.Equal(1, Upgrades(agent.Name));
            Assert.Single(doubles.Calls("systemctl"), c => c == "restart kubelet.service");
            Assert.True(File.Exists(Path.Join(agent.Root, "usr/bin/kubeadm")));
        }

        Assert.Equal(3, _artifacts.Requests($"/files/{Fixtures.Kubectl("amd64")}"));
        Assert.Contains("answered from the node's journal", logs);
    }

    private int Upgrades(string node) => _nodes.Single(n => n.Agent.Name == node).Doubles.Calls("kubeadm").Count(c => c == "upgrade node");

    private async Task KillAndRestartAsync()
    {
        await _coordinator.KillAsync();
        await _coordinator.StartAsync();
    }

    private async Task NodeAsync(string name)
    {
        var root = _dir.Combine(name);
        var doubles = new TestDoubles(_dir.Combine($"{name}-doubles"), root);
        var agent = new TestAgent(name, _coordinator.AgentUri, root);
        agent.Options.KubeadmPath = doubles.Kubeadm;
        agent.Options.SystemctlPath = doubles.Systemctl;
        var token = await CtlAsync("token", "create", "--uses", "1");
        Assert.True(token.ExitCode == 0, token.Stderr);
        await agent.EnrollAsync(TokenLine().Match(token.Stdout).Groups[1].Value, PinLine().Match(token.Stdout).Groups[1].Value);
        await agent.StartAsync();
        _nodes.Add((agent, doubles));
        await Eventually.Until(async () => (await Fleetctl.NodesAsync(_coordinator.Socket)).Any(n => n.Str("name") == name && n.GetProperty("connected").GetBoolean()), ok => ok, $"{name} is connected");
    }

    private async Task ApplyCatalogAsync()
    {
        var file = _dir.Combine("catalog.yaml");
        await File.WriteAllTextAsync(file, $$"""
            components:
              kubeadm:
                kind: binary
                url: {{_artifacts.BaseUrl}}/files/kubectl/{arch}/kubectl
                versions:
                  v1.12.5: { amd64: { sha256: {{Fixtures.Sha256(Fixtures.Kubectl("amd64"))}} } }
            """);
        var result = await CtlAsync("catalog", "apply", "-f", file);
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    private async Task<string> PlanAsync(string yaml)
    {
        var file = _dir.Combine("plan.yaml");
        await File.WriteAllTextAsync(file, yaml);
        return file;
    }

    private async Task<string> GetStateAsync()
    {
        var result = await CtlAsync("rollout", "get", "r1", "-o", "json");
        return result.ExitCode == 0 ? RolloutHarness.State(System.Text.Json.JsonDocument.Parse(result.Stdout).RootElement) : "";
    }

    private async Task<string> LogsAsync() => (await CtlAsync("rollout", "logs", "r1")).Stdout;

    private Task<Fleetctl.Result> CtlAsync(params string[] args) => Fleetctl.RunAsync([.. args, "--socket", _coordinator.Socket]);

    [GeneratedRegex(@"token:\s+(\S+)")]
    private static partial Regex TokenLine();

    [GeneratedRegex(@"ca-pin:\s+(\S+)")]
    private static partial Regex PinLine();
}

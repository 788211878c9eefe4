using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// `fleetctl rollout rollback` with the coordinator killed (SIGKILL) in the middle of it, after the restore and while
/// systemctl daemon-reload runs on the node, then started again on the same data folder: the rollback resumes and
/// finishes, the agent's journal shows one restore, and the step in flight ran once (answered from the journal).
/// The coordinator is its own process, talking to the Kubernetes API double through its kubeconfig (`cluster set`).
/// </summary>
public sealed partial class RollbackCrashTests : IAsyncLifetime
{
    private const string From = "v1.12.0";
    private const string To = "v1.12.5";
    private readonly TempDir _dir = new();
    private readonly CancellationTokenSource _stop = new();
    private CoordinatorProcess _coordinator = null!;
    private FakeKubeApiServer _kube = null!;
    private ArtifactServer _artifacts = null!;
    private KubeletHealthzDouble _healthz = null!;
    private TestAgent? _agent;
    private TestDoubles? _doubles;
    private Task? _kubelet;

    public async Task InitializeAsync()
    {
        _kube = await FakeKubeApiServer.StartAsync(_dir.Combine("kube"), From);
        _coordinator = new CoordinatorProcess(_dir.Combine("coordinator"));
        await _coordinator.StartAsync();
        _artifacts = await ArtifactServer.StartAsync(Fixtures.Require(Fixtures.Artifacts));
        _healthz = await KubeletHealthzDouble.StartAsync(() => true);
        var set = await CtlAsync("cluster", "set", "--kubeconfig", _kube.KubeconfigPath);
        Assert.True(set.ExitCode == 0, set.Stderr);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_kubelet is not null)
        {
            await _kubelet.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }

        await _coordinator.DisposeAsync();
        await _healthz.DisposeAsync();
        await _artifacts.DisposeAsync();
        await _kube.DisposeAsync();
        _stop.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task KilledDuringARollback_ItResumesAndFinishes_WithOneRestore()
    {
        var (agent, doubles) = await NodeAsync("w1");
        var previous = Sha256(agent);
        _kubelet = KubeletAsync(doubles, _stop.Token);
        await ApplyCatalogAsync();
        var upgrade = await CtlAsync("rollout", "apply", "--watch", "-f", await PlanAsync($$"""
            target: { names: [w1] }
            steps:
              - download: { component: kubelet, version: {{To}}, dest: /usr/bin/kubelet }
              - systemd: { action: daemon-reload }
              - systemd: { action: restart, unit: kubelet.service }
              - wait-ready: { version: {{To}} }
            """));
        Assert.True(upgrade.ExitCode == 0, upgrade.Stdout + upgrade.Stderr);
        Assert.NotEqual(previous, Sha256(agent));

        doubles.Sleep("systemctl", 4); // a window to kill the coordinator while daemon-reload runs, after the restore
        var rollback = await CtlAsync("rollout", "rollback", "r1");
        Assert.True(rollback.ExitCode == 0, rollback.Stdout + rollback.Stderr);
        await Eventually.Until(() => Task.FromResult(DaemonReloads(doubles)), n => n == 2, "daemon-reload of the rollback runs on w1", TimeSpan.FromSeconds(60));
        await _coordinator.KillAsync();
        await _coordinator.StartAsync();

        var done = await Eventually.Until(() => StateAsync("r2"), s => s is "succeeded" or "failed" or "aborted" or "paused", "the rollback ends", TimeSpan.FromSeconds(90));
        var logs = (await CtlAsync("rollout", "logs", "r2")).Stdout;
        Assert.True(done == "succeeded", logs);
        Assert.Equal(2, _coordinator.Starts);
        Assert.Contains("the coordinator restarted: resuming where the rollout stopped", logs);
        Assert.Equal(previous, Sha256(agent)); // the previous kubelet is back
        Assert.Equal(1, Restores(agent)); // one restore in the agent's journal
        Assert.Equal(2, DaemonReloads(doubles)); // the upgrade's and the rollback's: the one in flight at the kill ran once
        Assert.Equal(From, (string)_kube.Node("w1")!["status"]!["nodeInfo"]!["kubeletVersion"]!);
        Assert.False(_kube.Node("w1")!["spec"]?["unschedulable"] is { } u && (bool)u, "w1 is uncordoned");
    }

    private async Task<(TestAgent Agent, TestDoubles Doubles)> NodeAsync(string name)
    {
        var root = _dir.Combine(name);
        var doubles = _doubles = new TestDoubles(_dir.Combine($"{name}-doubles"), root);
        var agent = _agent = new TestAgent(name, _coordinator.AgentUri, root);
        agent.Options.KubeadmPath = doubles.Kubeadm;
        agent.Options.SystemctlPath = doubles.Systemctl;
        agent.Options.KubeletHealthzUrl = _healthz.Url;
        Directory.CreateDirectory(Path.Join(root, "usr/bin"));
        await File.WriteAllTextAsync(Path.Join(root, "usr/bin/kubelet"), $"#!/bin/sh\necho kubelet {From}\n");
        var token = await CtlAsync("token", "create", "--uses", "1");
        Assert.True(token.ExitCode == 0, token.Stderr);
        await agent.EnrollAsync(TokenLine().Match(token.Stdout).Groups[1].Value, PinLine().Match(token.Stdout).Groups[1].Value);
        await agent.StartAsync();
        _kube.AddNode(name, "amd64", From);
        await Eventually.Until(async () => (await Fleetctl.NodesAsync(_coordinator.Socket)).Any(n => n.Str("name") == name && n.GetProperty("connected").GetBoolean()), ok => ok, $"{name} is connected");
        return (agent, doubles);
    }

    /// <summary>The kubelet: Ready at v1.12.5 after its first restart (the upgrade), at v1.12.0 after its second (the rollback).</summary>
    private async Task KubeletAsync(TestDoubles doubles, CancellationToken ct)
    {
        var seen = 0;
        while (!ct.IsCancellationRequested)
        {
            var restarts = doubles.Calls("systemctl").Count(c => c == "restart kubelet.service");
            if (restarts > seen && restarts <= 2)
            {
                seen = restarts;
                _kube.SetNodeStatus("w1", ready: true, restarts == 1 ? To : From);
            }

            await Task.Delay(100, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static int DaemonReloads(TestDoubles doubles) => doubles.Calls("systemctl").Count(c => c == "daemon-reload");

    private static string Sha256(TestAgent agent) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Join(agent.Root, "usr/bin/kubelet"))));

    private static int Restores(TestAgent agent) =>
        File.ReadLines(Path.Join(agent.StateDir, "steps.journal")).Count(l => l.Contains("\"restored\":", StringComparison.Ordinal) && l.Contains("\"path\":\"/usr/bin/kubelet\"", StringComparison.Ordinal));

    private async Task ApplyCatalogAsync()
    {
        var result = await CtlAsync("catalog", "apply", "-f", await PlanAsync($$"""
            components:
              kubelet:
                kind: binary
                url: {{_artifacts.BaseUrl}}/files/kubectl/{arch}/kubectl
                versions:
                  {{To}}: { amd64: { sha256: {{Fixtures.Sha256(Fixtures.Kubectl("amd64"))}} } }
            """));
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    private async Task<string> PlanAsync(string yaml)
    {
        var file = _dir.Combine($"file-{Guid.NewGuid():n}.yaml");
        await File.WriteAllTextAsync(file, yaml);
        return file;
    }

    private async Task<string> StateAsync(string id)
    {
        var result = await CtlAsync("rollout", "get", id, "-o", "json");
        return result.ExitCode == 0 ? RolloutHarness.State(JsonDocument.Parse(result.Stdout).RootElement) : "";
    }

    private Task<Fleetctl.Result> CtlAsync(params string[] args) => Fleetctl.RunAsync([.. args, "--socket", _coordinator.Socket]);

    [GeneratedRegex(@"token:\s+(\S+)")]
    private static partial Regex TokenLine();

    [GeneratedRegex(@"ca-pin:\s+(\S+)")]
    private static partial Regex PinLine();
}

using System.Diagnostics;
using System.Security.Cryptography;
using Fleet.Testing;
using Fleet.Testing.Etcd;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// The etcd-snapshot step end to end against a real etcd (TLS, client certificates): a rollout with an explicit plan
/// step run by a real fleet-agent process whose sandbox root holds kubeadm's etcd certificates, the snapshot restored
/// into a fresh data folder and its keys read back; and the upgrade recipe's snapshot failing on the first
/// control-plane node (its etcd is not running), which fails that node there, before kubeadm is ever called.
/// </summary>
public sealed class EtcdSnapshotRolloutTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private EtcdPki _pki = null!;

    public Task InitializeAsync()
    {
        _pki = EtcdPki.Create(_dir.Combine("pki"));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _pki.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ExplicitPlanStep_OnARealAgentProcess_TakesASnapshotThatRestoresTheKeys()
    {
        await using var etcd = await EtcdServer.StartAsync(_pki);
        await etcd.PutAsync("/registry/configmaps/default/fleet", "kept");
        await etcd.PutAsync("/registry/secrets/default/token", "also-kept");
        await using var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Combine("coordinator")));
        var root = _dir.Combine("node-1");
        _pki.WriteClientSet(Path.Join(root, "etc/kubernetes/pki/etcd"));
        using var agent = await StartAgentProcessAsync(coordinator, root);
        var ctl = new FleetctlSession(_dir, coordinator.Socket);

        var applied = await ctl.RunAsync("rollout", "apply", "--watch", "-f", await ctl.PlanFileAsync($$"""
            target: { names: [node-1] }
            steps:
              - etcd-snapshot: { endpoint: "{{etcd.Endpoint}}", keep: 2 }
            """));

        Assert.True(applied.ExitCode == 0, applied.Stdout + applied.Stderr + File.ReadAllText(_dir.Combine("agent.log")));
        var folder = Path.Join(root, "var/lib/fleet-agent/etcd-snapshots");
        var snapshot = Assert.Single(Directory.GetFiles(folder, "etcd-snapshot-*-r1.db"));
        var name = Path.GetFileName(snapshot);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(snapshot)));
        Assert.Equal($"{sha256}  {name}\n", await File.ReadAllTextAsync(snapshot + ".sha256"));
        var logs = (await ctl.RunAsync("rollout", "logs", "r1")).Stdout;
        Assert.Contains($"etcd snapshot /var/lib/fleet-agent/etcd-snapshots/{name}: {new FileInfo(snapshot).Length} bytes, sha256 {sha256}", logs);

        await using var restored = await EtcdServer.RestoreAsync(_pki, snapshot);
        Assert.Equal("kept", await restored.GetAsync("/registry/configmaps/default/fleet"));
        Assert.Equal("also-kept", await restored.GetAsync("/registry/secrets/default/token"));
    }

    [Fact]
    public async Task Upgrade_FirstControlPlanesSnapshotFails_FailsTheNodeAtTheSnapshot_KubeadmNeverCalled()
    {
        await using var h = await KubernetesRolloutHarness.StartAsync("v1.12.0");
        await h.ApplyCatalogAsync("components:\n" + h.BinariesCatalog(["v1.12.0", "v1.12.5"]));
        var cp1 = await h.NodeAsync("cp1", "x86_64", "amd64", controlPlane: true);
        var pi1 = await h.NodeAsync("pi1", "aarch64", "arm64");
        _pki.WriteClientSet(Path.Join(cp1.Agent.Root, "etc/kubernetes/pki/etcd")); // the certificates are there; etcd is not running
        var endpoint = $"https://127.0.0.1:{FreePort.Next()}";
        h.RunKubelets(["v1.12.5"]);

        var applied = await h.CtlAsync("rollout", "apply", "--watch", "-f", await h.PlanFileAsync($$"""
            target: {}
            strategy: { onFailure: abort }
            recipe:
              upgrade-kubernetes: { version: v1.12.5, etcd: { endpoint: "{{endpoint}}" } }
            """));

        Assert.NotEqual(0, applied.ExitCode);
        var rollout = await h.GetAsync("r1");
        var node = rollout.GetProperty("nodes").EnumerateArray().Single(n => n.Str("name") == "cp1");
        Assert.Equal("failed", node.Str("state"));
        var steps = node.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal("etcd-snapshot", steps[1].Str("kind"));
        Assert.Equal("failed", steps[1].Str("state"));
        Assert.All(steps.Skip(2), s => Assert.Equal("pending", s.Str("state")));
        var logs = (await h.CtlAsync("rollout", "logs", "r1")).Stdout;
        Assert.Contains($"etcd unreachable at {endpoint}: connection refused (is etcd running?)", logs);

        Assert.Empty(cp1.Doubles.Calls("kubeadm")); // no upgrade apply
        Assert.Empty(pi1.Doubles.Calls("kubeadm")); // and no worker started
        Assert.DoesNotContain(cp1.Doubles.Calls("systemctl"), c => c.StartsWith("restart", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Join(cp1.Agent.Root, "usr/bin/kubeadm")), "the kubeadm download after the snapshot did not run");
        Assert.Equal("v1.12.0", h.KubeletVersion("cp1"));
        Assert.True(h.Kube.Node("cp1")!["spec"]?["unschedulable"] is null || !(bool)h.Kube.Node("cp1")!["spec"]!["unschedulable"]!, "cp1 was never cordoned");
        Assert.Empty(Directory.Exists(Path.Join(cp1.Agent.Root, "var/lib/fleet-agent/etcd-snapshots"))
            ? Directory.GetFileSystemEntries(Path.Join(cp1.Agent.Root, "var/lib/fleet-agent/etcd-snapshots"))
            : []);
    }

    /// <summary>`fleet-agent enroll`, then the agent, as their own processes (output to agent.log); etcdctl from PATH.</summary>
    private async Task<AgentProcess> StartAgentProcessAsync(TestCoordinator coordinator, string root)
    {
        Directory.CreateDirectory(root);
        var dll = Repo.BuildOutput("agent", "fleet-agent.dll");
        var enroll = await ProcessRun.RunAsync("dotnet",
            [dll, "enroll", "--coordinator", coordinator.AgentUri.ToString(), "--token", await coordinator.CreateTokenAsync(uses: 1), "--ca-pin", coordinator.CaPin, "--name", "node-1", "--root", root],
            unset: "FLEET_COORDINATOR");
        Assert.True(enroll.Code == 0, enroll.Output);

        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "exec dotnet \"$@\" >>\"$FLEET_TEST_LOG\" 2>&1", "sh", dll, "--coordinator", coordinator.AgentUri.ToString(), "--name", "node-1", "--root", root, "--etcdctl-path", EtcdServer.Etcdctl })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FLEET_TEST_LOG"] = _dir.Combine("agent.log");
        start.Environment.Remove("FLEET_COORDINATOR");
        var agent = new AgentProcess(Process.Start(start)!);
        await Eventually.Until(
            () => Fleetctl.NodesAsync(coordinator.Socket),
            n => n.Any(x => x.Str("name") == "node-1" && x.GetProperty("connected").GetBoolean()) || agent.Process.HasExited,
            "the agent process connects");
        Assert.False(agent.Process.HasExited, File.ReadAllText(_dir.Combine("agent.log")));
        return agent;
    }

    /// <summary>The agent process this test started, killed by its PID on dispose.</summary>
    private sealed record AgentProcess(Process Process) : IDisposable
    {
        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(Eventually.Timeout);
            }

            Process.Dispose();
        }
    }
}

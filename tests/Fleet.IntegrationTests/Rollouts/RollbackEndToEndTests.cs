using System.Security.Cryptography;
using System.Text.Json;
using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// Issue 15's undo, end to end: the real coordinator (Kubernetes API double through KubernetesClient), real agents that
/// keep what they replace and put it back from their own journal, the kubeadm and systemctl doubles, a kubelet healthz
/// double per node, and fleetctl. A node whose kubelet never becomes healthy after its upgrade is rolled back by itself;
/// `fleetctl rollout rollback` returns the workers of a succeeded upgrade (amd64 and arm64) to their previous files.
/// </summary>
public sealed class RollbackEndToEndTests : IAsyncLifetime
{
    private const string From = "v1.12.0";
    private const string To = "v1.12.5";
    private static readonly string[] Binaries = ["kubeadm", "kubelet", "kubectl"];
    private readonly List<KubeletHealthzDouble> _healthz = [];
    private KubernetesRolloutHarness _h = null!;

    public async Task InitializeAsync() => _h = await KubernetesRolloutHarness.StartAsync(From);

    public async Task DisposeAsync()
    {
        await _h.DisposeAsync();
        foreach (var healthz in _healthz)
        {
            await healthz.DisposeAsync();
        }
    }

    /// <summary>A node whose /usr/bin holds its own previous kubeadm, kubelet and kubectl (text files, distinct per node), with its kubelet's healthz double.</summary>
    private async Task<(KubeTestNode Node, Dictionary<string, string> Previous)> NodeAsync(string name, string machine, string arch, Func<KubeTestNode?, bool> healthy, bool controlPlane = false)
    {
        KubeTestNode? node = null;
        var healthz = await KubeletHealthzDouble.StartAsync(() => healthy(node));
        _healthz.Add(healthz);
        node = await _h.NodeAsync(name, machine, arch, controlPlane, configure: agent =>
        {
            agent.Options.KubeletHealthzUrl = healthz.Url;
            Directory.CreateDirectory(Path.Join(agent.Root, "usr/bin"));
            foreach (var binary in Binaries)
            {
                File.WriteAllText(Path.Join(agent.Root, "usr/bin", binary), $"#!/bin/sh\necho {binary} {From} on {name}\n");
            }
        });
        return (node, Binaries.ToDictionary(b => b, b => Sha256(node, b)));
    }

    private static string Sha256(KubeTestNode node, string binary) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Join(node.Agent.Root, "usr/bin", binary))));

    private static int KubeletRestarts(KubeTestNode? node) => node?.Doubles.Calls("systemctl").Count(c => c == "restart kubelet.service") ?? 0;

    /// <summary>The journal's restore records of <paramref name="path"/> on the node (one JSON line each).</summary>
    private static int Restores(KubeTestNode node, string path) =>
        File.ReadLines(Path.Join(node.Agent.StateDir, "steps.journal")).Count(l => l.Contains("\"restored\":", StringComparison.Ordinal) && l.Contains($"\"path\":\"{path}\"", StringComparison.Ordinal));

    private bool Cordoned(string node) => _h.Kube.Node(node)!["spec"]?["unschedulable"] is { } u && (bool)u;

    private static JsonElement NodeOf(JsonElement rollout, string name) => rollout.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == name);

    [Fact]
    public async Task KubeletNeverHealthyAfterTheUpgrade_TheNodeIsRolledBackByItself_ItsPreviousBinariesInPlace()
    {
        // w1's new kubelet never becomes healthy (its first restart); after the restore's restart it is healthy again.
        var (w1, previous) = await NodeAsync("w1", "x86_64", "amd64", node => KubeletRestarts(node) != 1);
        var (w2, _) = await NodeAsync("w2", "aarch64", "arm64", _ => true);
        await _h.ApplyCatalogAsync("components:\n" + _h.BinariesCatalog([To]));
        _h.Kube.ServerVersion = To;
        _h.RunKubelets([To, From]);
        var secret = Path.Join(_h.Coordinator.Service<Fleet.Coordinator.Notifications.WebhookSecrets>().Dir, "ops");
        await File.WriteAllTextAsync(secret, "ops-secret\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var receiver = await WebhookReceiver.StartAsync();

        var plan = await _h.PlanFileAsync($$"""
            target: { names: [w1, w2] }
            strategy: { batchSize: 2, failureThreshold: 2, onNodeFailure: rollback, prefetch: false, timeouts: { kubeletHealthy: 5s } }
            steps:
              - cordon: {}
              - drain: {}
              - download: { component: kubelet, version: {{To}}, dest: /usr/bin/kubelet }
              - systemd: { action: daemon-reload }
              - systemd: { action: restart, unit: kubelet.service }
              - wait-kubelet-healthy: {}
              - wait-ready: { version: {{To}} }
              - uncordon: {}
            notifications:
              webhooks:
                - { url: "{{receiver.Url}}", secret: ops, events: [node-failed] }
            """);
        var dry = await _h.CtlAsync("rollout", "plan", "-f", plan);
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains("onNodeFailure rollback", dry.Stdout);
        Assert.Contains($"  w1 (amd64, {From} → {To})", dry.Stdout);
        Assert.Contains("9. restore the files this rollout replaced (on failure)", dry.Stdout);
        Assert.Contains($"13. wait until w1 is Ready at {From} (on failure)", dry.Stdout);

        var applied = await _h.CtlAsync("rollout", "apply", "--watch", "-f", plan);

        Assert.Equal(1, applied.ExitCode); // failed: w1 rolled back
        var rollout = await _h.GetAsync("r1");
        var node = NodeOf(rollout, "w1");
        Assert.Equal("rolled-back", node.GetProperty("state").GetString());
        Assert.StartsWith("step 6 (wait until the kubelet is healthy): ", node.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.EndsWith($"; rolled back to {From}", node.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(previous["kubelet"], Sha256(w1, "kubelet")); // the previous kubelet is back
        Assert.Equal(Fixtures.Sha256(Fixtures.Kubectl("arm64")), Sha256(w2, "kubelet")); // w2 kept its upgrade
        Assert.Equal(From, _h.KubeletVersion("w1"));
        Assert.Equal(To, _h.KubeletVersion("w2"));
        Assert.False(Cordoned("w1"), "w1 is uncordoned by its rollback");
        Assert.Equal(2, KubeletRestarts(w1));
        Assert.Equal(1, Restores(w1, "/usr/bin/kubelet"));
        Assert.Equal("succeeded", NodeOf(rollout, "w2").GetProperty("state").GetString());
        var logs = (await _h.CtlAsync("rollout", "logs", "r1")).Stdout;
        Assert.Contains("rolling back (strategy.onNodeFailure: rollback) after a replace: step 6", logs);
        Assert.Contains("restored /usr/bin/kubelet", logs);
        var get = await _h.CtlAsync("rollout", "get", "r1");
        Assert.Contains("rolled-back", get.Stdout);
        Assert.Contains($"versions: w1 {From} → {To}, w2 {From} → {To}", get.Stdout);
        await Eventually.Until(() => receiver.Count == 1, "node-failed of the rolled-back w1 has arrived");
        var body = System.Text.Encoding.UTF8.GetString(receiver.Requests.Single().Body);
        Assert.Contains("\"node-failed\"", body);
        Assert.Contains($"rolled back to {From}", body);
    }

    [Fact]
    public async Task RollbackOfASucceededUpgrade_ReturnsTheAmd64AndArm64Workers_RefusesTheControlPlane()
    {
        var (cp1, cpPrevious) = await NodeAsync("cp1", "x86_64", "amd64", _ => true, controlPlane: true);
        var (amd, amdPrevious) = await NodeAsync("w-amd", "x86_64", "amd64", _ => true);
        var (arm, armPrevious) = await NodeAsync("w-arm", "aarch64", "arm64", _ => true);
        await _h.ApplyCatalogAsync("components:\n" + _h.BinariesCatalog([To]));
        _h.RunKubelets([To, From], apiServerFollowsUpgradeApply: true);
        var upgrade = await _h.CtlAsync("rollout", "apply", "--watch", "-f", await _h.PlanFileAsync($$"""
            target: {}
            strategy: { batchSize: 2 }
            recipe:
              upgrade-kubernetes: { version: {{To}}, etcdSnapshot: false } # no etcd here: EtcdSnapshotRolloutTests take the snapshot
            """));
        Assert.True(upgrade.ExitCode == 0, upgrade.Stdout + upgrade.Stderr);
        Assert.Equal(Fixtures.Sha256(Fixtures.Kubectl("arm64")), Sha256(arm, "kubelet"));

        var dry = await _h.CtlAsync("rollout", "rollback", "r1", "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains($"  w-arm (arm64, {To} → {From})", dry.Stdout);
        Assert.Contains("restore the files rollout r1 replaced", dry.Stdout);
        Assert.Contains("left out: cp1: a control-plane node: kubeadm does not downgrade a control plane; restore the etcd snapshot (docs/rollouts.md#restoring-an-etcd-snapshot)", dry.Stdout);
        Assert.Equal("r1", JsonDocument.Parse((await _h.CtlAsync("rollout", "list", "-o", "json")).Stdout).RootElement.EnumerateArray().Single().GetProperty("id").GetString()); // nothing stored

        var rollback = await _h.CtlAsync("rollout", "rollback", "r1");
        Assert.True(rollback.ExitCode == 0, rollback.Stdout + rollback.Stderr);
        Assert.Contains("rollout r2 started: rollback of r1 on 2 node(s)", rollback.Stdout);
        Assert.Contains("left out: cp1: a control-plane node", rollback.Stdout);
        Assert.Contains("follow it: fleetctl rollout watch r2", rollback.Stdout);
        var watched = await _h.CtlAsync("rollout", "watch", "r2");

        Assert.True(watched.ExitCode == 0, watched.Stdout + (await _h.CtlAsync("rollout", "logs", "r2")).Stdout);
        foreach (var binary in Binaries)
        {
            Assert.Equal(amdPrevious[binary], Sha256(amd, binary));
            Assert.Equal(armPrevious[binary], Sha256(arm, binary));
            Assert.NotEqual(cpPrevious[binary], Sha256(cp1, binary)); // the control plane keeps its upgrade
        }

        Assert.Equal((From, From, To), (_h.KubeletVersion("w-amd"), _h.KubeletVersion("w-arm"), _h.KubeletVersion("cp1")));
        Assert.False(Cordoned("w-amd") || Cordoned("w-arm"), "both workers are uncordoned");
        var r2 = await _h.GetAsync("r2");
        Assert.Equal("rollback-r1", r2.GetProperty("name").GetString());
        Assert.All(r2.GetProperty("nodes").EnumerateArray(), n => Assert.Equal(To, n.GetProperty("fromVersion").GetString()));
        Assert.Equal(1, Restores(arm, "/usr/bin/kubelet"));

        // Nothing left to undo on a rollback: it replaced nothing.
        var again = await _h.CtlAsync("rollout", "rollback", "r2");
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("rollout r2 has nothing to undo: it replaced no file on any node", again.Stderr);
    }
}

using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

public class PlanExpanderTests
{
    private static readonly CatalogDocument Catalog = CatalogParser.Parse($$"""
        components:
          kubeadm:
            kind: binary
            url: https://dl.example/{version}/bin/{os}/{arch}/kubeadm
            versions:
              v1.12.5: { amd64: { sha256: {{new string('a', 64)}} }, arm64: { sha256: {{new string('b', 64)}} }, arm: { sha256: {{new string('c', 64)}} } }
          kubelet:
            kind: binary
            url: https://dl.example/{version}/bin/{os}/{arch}/kubelet
            versions:
              v1.12.5: { amd64: { sha256: {{new string('d', 64)}} }, arm64: { sha256: {{new string('e', 64)}} } }
          kubectl:
            kind: binary
            url: https://dl.example/{version}/bin/{os}/{arch}/kubectl
            versions:
              v1.12.5: { amd64: { sha256: {{new string('f', 64)}} }, arm64: { sha256: {{new string('1', 64)}} }, arm: { sha256: {{new string('2', 64)}} } }
        """).Catalog!;

    private static NodeRecord Node(string name, Arch arch) =>
        new(name + "-id", name, new NodeFacts { NodeName = name, Arch = arch, Hostname = name }, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    private static ClusterView Cluster(params string[] controlPlane) =>
        new("v1.12.0", new[] { "cp1", "pi1", "x1", "odroid1", "odroid2" }.ToDictionary(n => n, n => new KubeNode(n, "v1.12.0", true, controlPlane.Contains(n), false, false, new Dictionary<string, string>())));

    /// <summary>Every node maps to the Kubernetes node of its name (no operator mapping).</summary>
    private static (List<NodePlan> Nodes, List<string> Problems) Expand(NodeRecord[] nodes, CatalogDocument? catalog, ClusterView cluster) =>
        PlanExpander.Expand(Upgrade, nodes, catalog, cluster, KubeNodeNames.Resolve(nodes, []));

    private static RolloutPlan Upgrade => new("", new NodeSelector(), RolloutStrategy.Default, new UpgradeRecipe("v1.12.5", "/usr/bin"));

    [Fact]
    public void Expand_Upgrade_FollowsKubeadmsOrderWithEachNodesOwnArch()
    {
        var (nodes, problems) = Expand([Node("cp1", Arch.Amd64), Node("pi1", Arch.Arm64)], Catalog, Cluster("cp1"));

        Assert.Empty(problems);
        var cp = nodes.Single(n => n.Node.Name == "cp1");
        var pi = nodes.Single(n => n.Node.Name == "pi1");
        Assert.True(cp.ControlPlane);
        Assert.Equal(
            ["prefetch kubeadm v1.12.5, kubelet v1.12.5, kubectl v1.12.5 (arm64)", "download kubeadm v1.12.5 (arm64) to /usr/bin/kubeadm", "kubeadm upgrade node", "cordon pi1", "drain pi1", "download kubelet v1.12.5 (arm64) to /usr/bin/kubelet",
             "download kubectl v1.12.5 (arm64) to /usr/bin/kubectl", "systemctl daemon-reload", "systemctl restart kubelet.service", "wait until pi1 is Ready at v1.12.5", "uncordon pi1"],
            pi.Steps.Select(s => s.Description));
        Assert.Equal(
            ["prefetch kubeadm v1.12.5, kubelet v1.12.5, kubectl v1.12.5 (amd64)", "etcd snapshot of https://127.0.0.1:2379 into /var/lib/fleet-agent/etcd-snapshots (newest 3 kept)",
             "download kubeadm v1.12.5 (amd64) to /usr/bin/kubeadm", "kubeadm upgrade apply v1.12.5 -y"],
            cp.Steps.Take(4).Select(s => s.Description)); // the snapshot before anything on the node changes
        Assert.DoesNotContain(pi.Steps, s => s is NodeStep.EtcdSnapshot);
        var kubelet = Assert.IsType<NodeStep.Download>(pi.Steps[5]);
        Assert.Equal("https://dl.example/v1.12.5/bin/linux/arm64/kubelet", kubelet.Url);
        Assert.Equal(new string('e', 64), kubelet.Sha256);
        Assert.Equal(DownloadMode.Executable, kubelet.Mode);
    }

    [Fact]
    public void Expand_UpgradeWithoutEtcdSnapshot_HasNoSnapshotStep()
    {
        var plan = Upgrade with { Recipe = new UpgradeRecipe("v1.12.5", "/usr/bin") { EtcdSnapshot = null } };

        var (nodes, problems) = PlanExpander.Expand(plan, [Node("cp1", Arch.Amd64)], Catalog, Cluster("cp1"), KubeNodeNames.Resolve([Node("cp1", Arch.Amd64)], []));

        Assert.Empty(problems);
        Assert.Equal("kubeadm upgrade apply v1.12.5 -y", nodes.Single().Steps[2].Description);
        Assert.DoesNotContain(nodes.Single().Steps, s => s is NodeStep.EtcdSnapshot);
    }

    [Fact]
    public void Expand_AnArchWithoutABuild_NamesTheComponentVersionArchAndEveryNode()
    {
        var (_, problems) = Expand([Node("odroid1", Arch.Arm), Node("x1", Arch.Amd64), Node("odroid2", Arch.Arm)], Catalog, Cluster());

        Assert.Equal(["kubelet v1.12.5 has no arm build: odroid1, odroid2"], problems);
    }

    [Fact]
    public void Expand_NoCatalog_SaysSo()
    {
        var (_, problems) = Expand([Node("x1", Arch.Amd64)], null, Cluster());

        Assert.Equal(["no catalog has been applied yet (fleetctl catalog apply -f FILE)"], problems);
    }
}

using System.Text.Json;
using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>The prefetch step each node gets first: what it carries, where it goes, when there is none.</summary>
public class PrefetchPlannerTests
{
    private static readonly string CniSha = new('c', 64);

    private static readonly CatalogDocument Catalog = CatalogParser.Parse($$"""
        components:
          kubeadm:
            kind: binary
            url: https://dl.example/{version}/{arch}/kubeadm
            versions:
              v1.12.5: { amd64: { sha256: {{new string('a', 64)}} }, arm64: { sha256: {{new string('b', 64)}} } }
          kubelet:
            kind: binary
            url: https://dl.example/{version}/{arch}/kubelet
            versions:
              v1.12.5: { amd64: { sha256: {{new string('d', 64)}} }, arm64: { sha256: {{new string('e', 64)}} } }
          kubectl:
            kind: binary
            url: https://dl.example/{version}/{arch}/kubectl
            versions:
              v1.12.5: { amd64: { sha256: {{new string('f', 64)}} }, arm64: { sha256: {{new string('1', 64)}} } }
          cni-plugins:
            kind: cni-plugins
            url: https://dl.example/cni-{arch}-{version}.tgz
            versions:
              v1.1.1: { amd64: { sha256: {{new string('2', 64)}} }, arm64: { sha256: {{CniSha}} } }
        """).Catalog!;

    [Fact]
    public void Upgrade_PrefetchesEveryBinaryFirst_BeforeTheCordon()
    {
        var pi = ExpandOne(Plan("recipe: { upgrade-kubernetes: { version: v1.12.5 } }"));

        var prefetch = Assert.IsType<NodeStep.Prefetch>(pi.Steps[0]);
        Assert.Equal(["prefetch", "download", "kubeadm-upgrade", "cordon", "drain", "download", "download", "systemd", "systemd", "wait-ready", "uncordon"], pi.Steps.Select(s => s.Kind));
        Assert.Equal(Arch.Arm64, prefetch.Arch);
        Assert.Equal(
            [new("kubeadm", "v1.12.5", "https://dl.example/v1.12.5/arm64/kubeadm", new string('b', 64), true, "/usr/bin/kubeadm"),
             new("kubelet", "v1.12.5", "https://dl.example/v1.12.5/arm64/kubelet", new string('e', 64), true, "/usr/bin/kubelet"),
             new NodeStep.PrefetchItem("kubectl", "v1.12.5", "https://dl.example/v1.12.5/arm64/kubectl", new string('1', 64), true, "/usr/bin/kubectl")],
            prefetch.Artifacts);
        Assert.Equal("prefetch kubeadm v1.12.5, kubelet v1.12.5, kubectl v1.12.5 (arm64)", prefetch.Description);
        Assert.Equal(TimeSpan.FromMinutes(30), prefetch.Timeout); // the download timeout for each of three
    }

    [Fact]
    public void Join_PrefetchesTheBinariesAndTheCniArchiveFirst()
    {
        var pi = ExpandOne(Plan("recipe: { join: { controlPlaneEndpoint: 10.0.0.10:6443, version: v1.12.5, cniVersion: v1.1.1 } }"));

        var prefetch = Assert.IsType<NodeStep.Prefetch>(pi.Steps[0]);
        Assert.Equal(["kubeadm", "kubelet", "kubectl", "cni-plugins"], prefetch.Artifacts.Select(a => a.Component));
        var cni = prefetch.Artifacts[3];
        Assert.Equal((false, CniSha, "/opt/cni/bin"), (cni.Binary, cni.Sha256, cni.Dest));
        Assert.Equal(StepKinds.KubeadmJoin, pi.Steps.Single(s => s is NodeStep.KubeadmJoin).Kind);
        Assert.Equal(1, pi.Steps.Count(s => s is NodeStep.Prefetch));
    }

    [Fact]
    public void ExplicitSteps_GetThePrefetchFirst_EvenWhenTheirDownloadsComeAfterACordon()
    {
        var pi = ExpandOne(Plan("""
            steps:
              - cordon: {}
              - download: { component: kubelet, version: v1.12.5, dest: /usr/bin/kubelet }
              - download: { component: kubectl, version: v1.12.5, dest: /usr/bin/kubectl }
              - uncordon: {}
            """));

        Assert.Equal(["prefetch", "cordon", "download", "download", "uncordon"], pi.Steps.Select(s => s.Kind));
        Assert.Equal(["kubelet", "kubectl"], ((NodeStep.Prefetch)pi.Steps[0]).Artifacts.Select(a => a.Component));
    }

    [Fact]
    public void TheSameArtifactTwice_IsPrefetchedOnce()
    {
        var pi = ExpandOne(Plan("""
            steps:
              - download: { component: kubectl, version: v1.12.5, dest: /usr/bin/kubectl }
              - download: { component: kubectl, version: v1.12.5, dest: /usr/local/bin/kubectl }
            """));

        Assert.Single(((NodeStep.Prefetch)pi.Steps[0]).Artifacts);
    }

    [Theory]
    [InlineData("recipe: { install-cni: { version: v1.1.1 } }")] // one artifact step alone: it already verifies before it replaces
    [InlineData("steps: [ { download: { component: kubectl, version: v1.12.5, dest: /usr/bin/kubectl } } ]")]
    [InlineData("steps: [ { cordon: {} }, { uncordon: {} } ]")] // no artifact at all
    [InlineData("strategy: { prefetch: false }\nrecipe: { upgrade-kubernetes: { version: v1.12.5 } }")]
    public void NoPrefetch_WhenThereIsNothingToProtect_OrItIsTurnedOff(string body)
    {
        var pi = ExpandOne(Plan(body));

        Assert.DoesNotContain(pi.Steps, s => s is NodeStep.Prefetch);
    }

    [Fact]
    public void StrategyPrefetch_NotABoolean_IsAProblemByPath()
    {
        var (plan, problems) = PlanParser.Parse("target: {}\nstrategy: { prefetch: sometimes }\nrecipe: { upgrade-kubernetes: { version: v1.12.5 } }");

        Assert.Null(plan);
        Assert.Contains(problems, p => p.StartsWith("strategy.prefetch:", StringComparison.Ordinal));
    }

    [Fact]
    public void ToRequest_CarriesEachArtifactWithTheNodesArchAndItsKind()
    {
        var prefetch = (NodeStep.Prefetch)ExpandOne(Plan("recipe: { join: { controlPlaneEndpoint: 10.0.0.10:6443, version: v1.12.5, cniVersion: v1.1.1 } }")).Steps[0];

        var request = prefetch.ToRequest("r1/pi1/0");

        Assert.Equal(StepRequest.StepOneofCase.Prefetch, request.StepCase);
        Assert.Equal(TimeSpan.FromMinutes(40), request.Timeout.ToTimeSpan());
        Assert.All(request.Prefetch.Artifacts, a => Assert.Equal(Arch.Arm64, a.Arch));
        Assert.Equal([PrefetchKind.Binary, PrefetchKind.Binary, PrefetchKind.Binary, PrefetchKind.CniArchive], request.Prefetch.Artifacts.Select(a => a.Kind));
        Assert.Equal(("https://dl.example/cni-arm64-v1.1.1.tgz", CniSha, "/opt/cni/bin"), (request.Prefetch.Artifacts[3].Url, request.Prefetch.Artifacts[3].Sha256, request.Prefetch.Artifacts[3].Dest));
    }

    [Fact]
    public void StoredJson_RoundTripsUnderThePrefetchKind()
    {
        var prefetch = (NodeStep.Prefetch)ExpandOne(Plan("recipe: { upgrade-kubernetes: { version: v1.12.5 } }")).Steps[0];

        var json = JsonSerializer.Serialize<NodeStep>(prefetch);
        var back = Assert.IsType<NodeStep.Prefetch>(JsonSerializer.Deserialize<NodeStep>(json));

        Assert.Contains("\"Kind\":\"prefetch\"", json, StringComparison.Ordinal);
        Assert.Equal(prefetch.Artifacts, back.Artifacts);
        Assert.Equal((prefetch.Arch, prefetch.Timeout, prefetch.Description), (back.Arch, back.Timeout, back.Description));
        Assert.Equal(prefetch.ToRequest("x"), back.ToRequest("x"));
    }

    private static RolloutPlan Plan(string body)
    {
        var (plan, problems) = PlanParser.Parse("target: {}\n" + body);
        Assert.Empty(problems);
        return plan!;
    }

    private static NodePlan ExpandOne(RolloutPlan plan)
    {
        NodeRecord[] nodes = [new("pi1-id", "pi1", new NodeFacts { NodeName = "pi1", Arch = Arch.Arm64, Hostname = "pi1" }, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)];
        var cluster = new ClusterView("v1.12.0", new Dictionary<string, KubeNode> { ["pi1"] = new("pi1", "v1.12.0", true, false, false, false, new Dictionary<string, string>()) });
        var (planned, problems) = PlanExpander.Expand(plan, nodes, Catalog, cluster, KubeNodeNames.Resolve(nodes, []));
        Assert.Empty(problems);
        return Assert.Single(planned);
    }
}

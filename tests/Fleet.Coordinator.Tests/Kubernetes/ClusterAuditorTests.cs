using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Nodes;
using Fleet.V1;
using k8s.Models;

namespace Fleet.Coordinator.Tests.Kubernetes;

public sealed class ClusterAuditorTests
{
    private static V1Node Node(string name, string arch, string kubelet = "v1.28.3", params V1Taint[] taints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [KubeLabels.Arch] = arch, ["kubernetes.io/hostname"] = name } },
        Spec = new V1NodeSpec { Taints = taints },
        Status = new V1NodeStatus { NodeInfo = new V1NodeSystemInfo { KubeletVersion = kubelet } },
    };

    private static NodeRecord Fleet(string name, Arch arch, HealthCheck? cni = null)
    {
        var facts = new NodeFacts { NodeName = name, Arch = arch, Hostname = name, BoardModel = "Raspberry Pi 4 Model B Rev 1.4" };
        var health = new HealthSample();
        if (cni is not null)
        {
            health.Checks.Add(cni);
        }

        return new NodeRecord(name, name, facts, health, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
    }

    private static V1DaemonSet DaemonSet(string name, V1PodSpec spec) => new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "kube-system" }, Spec = new V1DaemonSetSpec { Template = new V1PodTemplateSpec { Spec = spec } } };

    private static V1Deployment Deployment(string name, V1PodSpec spec) => new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" }, Spec = new V1DeploymentSpec { Template = new V1PodTemplateSpec { Spec = spec } } };

    private static V1Affinity ArchAffinity(string op, params string[] archs) => new()
    {
        NodeAffinity = new V1NodeAffinity
        {
            RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
            {
                NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = KubeLabels.Arch, OperatorProperty = op, Values = archs }] }],
            },
        },
    };

    [Fact]
    public void Audit_ReportsArchitecturesWorkloadsCannotReach_MissingCniPlugins_SkewAndArchMismatches()
    {
        var kube = new List<V1Node>
        {
            Node("cp-1", "amd64", "v1.28.3", new V1Taint { Key = "node-role.kubernetes.io/control-plane", Effect = "NoSchedule" }),
            Node("pi-1", "arm64", "v1.24.9"),
            Node("odroid-1", "arm", "v1.29.0"),
            Node("pi-2", "amd64"), // the agent says arm64
        };
        var fleet = new List<NodeRecord>
        {
            Fleet("pi-1", Arch.Arm64),
            Fleet("odroid-1", Arch.Arm, new HealthCheck { Name = "cni-plugins", Status = HealthStatus.Failing, Reason = "missing: portmap, bridge" }),
            Fleet("pi-2", Arch.Arm64, new HealthCheck { Name = "cni-plugins", Status = HealthStatus.Ok, Reason = "all present" }),
            Fleet("x86-1", Arch.Amd64),
        };
        var daemonSets = new[]
        {
            DaemonSet("kube-proxy", new V1PodSpec { Tolerations = [new V1Toleration { OperatorProperty = "Exists" }] }),
            DaemonSet("flannel-amd64", new V1PodSpec { NodeSelector = new Dictionary<string, string> { [KubeLabels.Arch] = "amd64" } }),
        };
        var deployments = new[] { Deployment("web", new V1PodSpec { Affinity = ArchAffinity("In", "amd64", "arm64") }) };

        var report = ClusterAuditor.Audit("v1.28.3", kube, daemonSets, deployments, fleet, KubeNodeNames.Resolve(fleet, [new OperatorKubeNodeMapping("x86-1", "x86-1", "cp-1")]));

        Assert.Equal(["amd64", "arm", "arm64"], report.FleetArchs);
        var proxy = report.Workloads.Single(w => w.Name == "kube-proxy");
        Assert.Empty(proxy.AllowedArchs);
        Assert.Empty(proxy.MissingArchs);
        Assert.Empty(proxy.BlockedNodes);

        var flannel = report.Workloads.Single(w => w.Name == "flannel-amd64");
        Assert.Equal(("DaemonSet", "kube-system"), (flannel.Kind, flannel.Namespace));
        Assert.Equal(["amd64"], flannel.AllowedArchs);
        Assert.Equal(["amd64"], flannel.RunnableArchs); // pi-2 (labelled amd64) takes it; cp-1's taint does not
        Assert.Equal(["arm", "arm64"], flannel.MissingArchs);
        Assert.Contains("cp-1: taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated", flannel.BlockedNodes);
        Assert.Contains("odroid-1: nodeSelector kubernetes.io/arch=amd64", flannel.BlockedNodes);

        var web = report.Workloads.Single(w => w.Name == "web");
        Assert.Equal(["amd64", "arm64"], web.AllowedArchs);
        Assert.Equal(["arm"], web.MissingArchs);
        Assert.Empty(web.BlockedNodes); // only DaemonSets list nodes

        var cni = Assert.Single(report.Cni);
        Assert.Equal(("odroid-1", "failing", "missing: portmap, bridge"), (cni.FleetNode, cni.Status, cni.Reason));

        Assert.Equal(["odroid-1", "pi-1"], report.Skew.Select(s => s.KubeNode));
        Assert.Contains("newer than the API server", report.Skew[0].Problem);
        Assert.Equal("kubelet v1.24.9 is 4 minor versions older than the API server v1.28.3 (at most 3 allowed)", report.Skew[1].Problem);
        Assert.Equal("pi-1", report.Skew[1].FleetNode);

        var mismatch = Assert.Single(report.ArchMismatches);
        Assert.Equal(("pi-2", "pi-2", "arm64", "amd64"), (mismatch.FleetNode, mismatch.KubeNode, mismatch.FleetArch, mismatch.KubeArch));
    }

    [Fact]
    public void AFleetArchWithoutKubernetesNodesYet_IsJudgedByTheArchConstraints()
    {
        var kube = new List<V1Node> { Node("x86-1", "amd64") };
        var fleet = new List<NodeRecord> { Fleet("x86-1", Arch.Amd64), Fleet("pi-9", Arch.Arm64) };
        var report = ClusterAuditor.Audit("v1.28.3", kube, [], [Deployment("no-arm", new V1PodSpec { Affinity = ArchAffinity("NotIn", "arm64", "arm") }), Deployment("any", new V1PodSpec())], fleet, KubeNodeNames.Resolve(fleet, []));
        Assert.Equal(["arm64"], report.Workloads.Single(w => w.Name == "no-arm").MissingArchs);
        Assert.Empty(report.Workloads.Single(w => w.Name == "any").MissingArchs);
    }

    [Theory]
    [InlineData("v1.28.3", "v1.28.3", null)]
    [InlineData("v1.28.3", "v1.25.0", null)]
    [InlineData("v1.27.1", "v1.25.0", null)]
    [InlineData("v1.27.1", "v1.24.0", "kubelet v1.24.0 is 3 minor versions older than the API server v1.27.1 (at most 2 allowed)")]
    [InlineData("v1.28.3", "v1.29.0", "kubelet v1.29.0 is newer than the API server v1.28.3 (a kubelet must not be newer)")]
    [InlineData("v1.28.3+k3s1", "v1.28.1+k3s1", null)]
    [InlineData("v1.28.3", "", "kubelet version \"\" cannot be read")]
    public void VersionSkew_FollowsThePolicy(string server, string kubelet, string? problem) =>
        Assert.Equal(problem, VersionSkew.Problem(server, kubelet));

    [Theory]
    [InlineData("Raspberry Pi 4 Model B Rev 1.4", "Raspberry-Pi-4-Model-B-Rev-1.4")]
    [InlineData("Hardkernel ODROID-HC1", "Hardkernel-ODROID-HC1")]
    [InlineData("  (Standard PC (Q35 + ICH9, 2009))  ", "Standard-PC-Q35-ICH9-2009")]
    [InlineData("", "")]
    [InlineData("???", "")]
    public void BoardModels_BecomeValidLabelValues(string board, string label) => Assert.Equal(label, KubeLabels.SanitizeValue(board));

    [Fact]
    public void ALongBoardModel_IsCutTo63Characters_EndingAlphanumeric()
    {
        var value = KubeLabels.SanitizeValue(new string('a', 62) + " b c");
        Assert.Equal(new string('a', 62), value);
        Assert.Matches("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", KubeLabels.SanitizeValue("x" + new string('.', 80) + "y"));
    }
}

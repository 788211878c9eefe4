using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Nodes;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>Finding 4, the rule itself: a node is the Kubernetes node of its certificate name or of an operator's mapping, never of what it reports.</summary>
public sealed class KubeNodeNamesTests
{
    private static NodeRecord Node(string name, string? hostname = null, params (string Key, string Value)[] labels)
    {
        var facts = new NodeFacts { NodeName = name, Arch = Arch.Arm64, Hostname = hostname ?? name, AgentVersion = "0.1.0" };
        foreach (var (key, value) in labels)
        {
            facts.Labels[key] = value;
        }

        return new NodeRecord(name + "-id", name, facts, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public void ANodesOwnHostnameAndLabels_NeverChooseItsKubernetesNode()
    {
        var rogue = Node("rogue", hostname: "cp-1", ("fleet.io/kubernetes-node", "cp-1"), ("kubernetes.io/hostname", "cp-1"));
        var map = KubeNodeNames.Resolve([rogue, Node("cp-1")], []);
        Assert.Equal(new KubeNodeAssignment("rogue", "rogue", KubeNodeNames.ByName, ""), map["rogue"]);
        Assert.Equal(new KubeNodeAssignment("cp-1", "cp-1", KubeNodeNames.ByName, ""), map["cp-1"]);
    }

    [Fact]
    public void AnOperatorMapping_WinsOverAnotherNodesName_WhichThenMapsToNothing()
    {
        var map = KubeNodeNames.Resolve([Node("a"), Node("k-a")], [new OperatorKubeNodeMapping("a-id", "a", "k-a")]);
        Assert.Equal(new KubeNodeAssignment("a", "k-a", KubeNodeNames.ByOperator, ""), map["a"]);
        Assert.False(map["k-a"].Mapped);
        Assert.Equal("k-a (Kubernetes node k-a is mapped to Fleet node a by an operator)", map["k-a"].Describe());
    }

    [Fact]
    public void AnOperatorMappingOfANodeNotConnectedYet_StillClaimsItsKubernetesNode()
    {
        var map = KubeNodeNames.Resolve([Node("k-a")], [new OperatorKubeNodeMapping("a-id", "a", "k-a")]);
        Assert.False(map["k-a"].Mapped);
    }

    [Theory]
    [InlineData("pi-1", true)]
    [InlineData("node.lab.example", true)]
    [InlineData("ip-10-0-0-1.ec2.internal", true)]
    [InlineData("", false)]
    [InlineData("Pi-1", false)]
    [InlineData("pi_1", false)]
    [InlineData("-pi", false)]
    [InlineData("pi..lab", false)]
    [InlineData("pi.", false)]
    [InlineData("../etc", false)]
    [InlineData("a/b", false)]
    public void KubernetesNodeNames_AreDnsSubdomains(string name, bool valid) => Assert.Equal(valid, KubeNodeNames.IsValid(name));

    [Fact]
    public void KubernetesNodeNames_AreAtMost253Characters()
    {
        var label = new string('a', 63);
        Assert.True(KubeNodeNames.IsValid(string.Join('.', label, label, label, new string('b', 61))));
        Assert.False(KubeNodeNames.IsValid(string.Join('.', label, label, label, new string('b', 62))));
        Assert.False(KubeNodeNames.IsValid(new string('a', 64)));
    }
}

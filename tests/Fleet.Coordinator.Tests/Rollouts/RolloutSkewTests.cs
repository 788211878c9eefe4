using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

public class VersionSkewTests
{
    private static NodePlan Node(string name, bool controlPlane = false) =>
        new(new NodeRecord(name + "-id", name, new NodeFacts { NodeName = name }, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch), name, controlPlane, []);

    private static ClusterView Cluster(string server, params (string Name, string Kubelet)[] nodes) =>
        new(server, nodes.ToDictionary(n => n.Name, n => new KubeNode(n.Name, n.Kubelet, true, n.Name.StartsWith("cp", StringComparison.Ordinal), false, false, new Dictionary<string, string>())));

    private static RolloutPlan Upgrade(string version) => new("", new NodeSelector(), RolloutStrategy.Default, new UpgradeRecipe(version, "/usr/bin"));

    [Fact]
    public void Check_PatchUpgradeOfEveryNode_IsFine()
    {
        var problems = RolloutSkew.Check(Upgrade("v1.12.5"), [Node("cp1", true), Node("w1")], Cluster("v1.12.0", ("cp1", "v1.12.0"), ("w1", "v1.12.0")));

        Assert.Empty(problems);
    }

    [Fact]
    public void Check_SkippingAMinorVersion_IsRefused()
    {
        var problems = RolloutSkew.Check(Upgrade("v1.14.0"), [Node("cp1", true)], Cluster("v1.12.0", ("cp1", "v1.12.0")));

        Assert.Contains(problems, p => p == "v1.14.0 skips a minor version: the control plane is at v1.12.0; upgrade one minor version at a time");
    }

    [Fact]
    public void Check_WorkersAboveTheControlPlane_IsRefused()
    {
        var problems = RolloutSkew.Check(Upgrade("v1.13.0"), [Node("w1")], Cluster("v1.12.0", ("cp1", "v1.12.0"), ("w1", "v1.12.0")));

        Assert.Contains(problems, p => p.StartsWith("kubelet v1.13.0 would be newer than the control plane (v1.12.0)", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_AKubeletTwoMinorsBehind_WouldSkipAVersion()
    {
        var problems = RolloutSkew.Check(Upgrade("v1.13.0"), [Node("cp1", true), Node("w1")], Cluster("v1.12.9", ("cp1", "v1.12.9"), ("w1", "v1.11.3")));

        Assert.Contains(problems, p => p == "kubelet would skip a minor version on the way to v1.13.0: w1 (v1.11.3)");
    }

    [Fact]
    public void Check_DowngradeAndStrangers_AreRefused()
    {
        var problems = RolloutSkew.Check(Upgrade("v1.11.0"), [Node("cp1", true), Node("ghost")], Cluster("v1.12.0", ("cp1", "v1.12.0")));

        Assert.Contains(problems, p => p.StartsWith("v1.11.0 is older than the control plane (v1.12.0)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("not Kubernetes nodes", StringComparison.Ordinal) && p.EndsWith("ghost (as ghost)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("v1.12.5", 1, 12, 5)]
    [InlineData("1.20.2", 1, 20, 2)]
    [InlineData("v1.27.3+k3s1", 1, 27, 3)]
    [InlineData("v1.30.0-rc.1", 1, 30, 0)]
    public void KubeVersion_Parses(string text, int major, int minor, int patch)
    {
        Assert.True(KubeVersion.TryParse(text, out var v));
        Assert.Equal((major, minor, patch), (v.Major, v.Minor, v.Patch));
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("v1.12")]
    [InlineData("v1.12.5; rm -rf /")]
    public void KubeVersion_RefusesWhatIsNotAVersion(string text) => Assert.False(KubeVersion.TryParse(text, out _));

    [Fact]
    public void Check_MultiHopUpgrade_IsCheckedHopByHop_NotRefusedAsSkippingAMinor()
    {
        var cluster = Cluster("v1.12.5", ("cp1", "v1.12.5"), ("w1", "v1.12.5"));

        Assert.Empty(RolloutSkew.Check(Upgrade("v1.14.10"), [Node("cp1", true), Node("w1")], cluster, [new Hop(1, "v1.13.4"), new Hop(2, "v1.14.10")]));
        Assert.Contains("v1.14.10 skips a minor version: the control plane is at v1.12.5; upgrade one minor version at a time", RolloutSkew.Check(Upgrade("v1.14.10"), [Node("cp1", true), Node("w1")], cluster)); // without hops, as before
    }

    [Fact]
    public void Check_MultiHopUpgrade_AKubeletTwoMinorsBehind_IsRefusedAgainstTheFirstHop()
    {
        var problems = RolloutSkew.Check(Upgrade("v1.14.10"), [Node("cp1", true), Node("w1")], Cluster("v1.12.5", ("cp1", "v1.12.5"), ("w1", "v1.11.3")), [new Hop(1, "v1.13.4"), new Hop(2, "v1.14.10")]);

        Assert.Equal(["kubelet would skip a minor version on the way to v1.13.4: w1 (v1.11.3)"], problems);
    }

    [Fact]
    public void Check_MultiHopUpgrade_BelowTheControlPlane_IsRefused()
    {
        var problems = RolloutSkew.Check(Upgrade("v1.12.5"), [Node("cp1", true)], Cluster("v1.14.0", ("cp1", "v1.14.0")), [new Hop(1, "v1.12.5")]);

        Assert.Equal(["v1.12.5 is older than the control plane (v1.14.0): Fleet does not downgrade"], problems);
    }

    [Fact]
    public void Check_HopsRefusedByTheCatalog_AddNoSecondMinorVersionProblem()
    {
        Assert.Empty(RolloutSkew.Check(Upgrade("v1.14.10"), [Node("cp1", true)], Cluster("v1.12.5", ("cp1", "v1.12.5")), []));
    }
}

using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>Hop planning from the catalog: the newest patch of each intermediate minor that serves every targeted arch.</summary>
public class UpgradeHopsTests
{
    private static readonly NodeRecord[] Mixed = [Node("cp1", Arch.Amd64), Node("odroid2", Arch.Arm), Node("odroid1", Arch.Arm), Node("pi1", Arch.Arm64)];

    private static NodeRecord Node(string name, Arch arch) =>
        new(name + "-id", name, new NodeFacts { NodeName = name, Arch = arch }, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    private static ClusterView Cluster(string server) => new(server, new Dictionary<string, KubeNode>());

    /// <summary>A catalog: each entry "kubelet v1.13.4 amd64,arm64" (the three binaries unless a binary is named).</summary>
    private static CatalogDocument Catalog(params string[] entries)
    {
        var builds = new Dictionary<string, Dictionary<string, List<string>>>();
        foreach (var entry in entries)
        {
            var parts = entry.Split(' ');
            var binaries = parts.Length == 3 ? [parts[0]] : UpgradeHops.Binaries;
            var (version, arches) = parts.Length == 3 ? (parts[1], parts[2]) : (parts[0], parts[1]);
            foreach (var binary in binaries)
            {
                var versions = builds.TryGetValue(binary, out var v) ? v : builds[binary] = [];
                (versions.TryGetValue(version, out var a) ? a : versions[version] = []).AddRange(arches.Split(','));
            }
        }

        var yaml = new System.Text.StringBuilder("components:\n");
        foreach (var (binary, versions) in builds)
        {
            yaml.Append($"  {binary}:\n    kind: binary\n    url: https://dl.example/{{version}}/{{arch}}/{binary}\n    versions:\n");
            foreach (var (version, arches) in versions)
            {
                yaml.Append($"      {version}: {{ {string.Join(", ", arches.Select(a => $"{a}: {{ sha256: {new string('a', 64)} }}"))} }}\n");
            }
        }

        var (catalog, problems) = CatalogParser.Parse(yaml.ToString());
        Assert.True(catalog is not null, string.Join("; ", problems));
        return catalog;
    }

    private static (List<Hop> Hops, List<string> Problems) Plan(string from, string to, CatalogDocument catalog, NodeRecord[]? nodes = null) =>
        UpgradeHops.Plan(new UpgradeRecipe(to, "/usr/bin"), Cluster(from), catalog, nodes ?? Mixed);

    private const string All = "amd64,arm64,arm";

    [Fact]
    public void TwoMinorsAway_GoesThroughTheNewestPatchOfTheMinorBetween()
    {
        var (hops, problems) = Plan("v1.12.5", "v1.14.10", Catalog($"v1.13.1 {All}", $"v1.13.4 {All}", $"v1.13.10-rc.1 {All}", $"v1.14.10 {All}", $"v1.12.5 {All}"));

        Assert.Empty(problems);
        Assert.Equal([new Hop(1, "v1.13.4"), new Hop(2, "v1.14.10")], hops); // the release candidate is never a hop
    }

    [Fact]
    public void ThreeMinorsAway_OneHopPerMinor_ThenTheTarget()
    {
        var (hops, problems) = Plan("v1.12.0", "v1.15.0", Catalog($"v1.13.2 {All}", $"v1.14.1 {All}", $"v1.14.3 {All}", $"v1.15.0 {All}"));

        Assert.Empty(problems);
        Assert.Equal(["v1.13.2", "v1.14.3", "v1.15.0"], hops.Select(h => h.Version));
        Assert.Equal([1, 2, 3], hops.Select(h => h.Phase));
    }

    [Fact]
    public void ANewerPatchLackingOneArch_IsPassedOver_AndTheHopSaysWhy()
    {
        var (hops, problems) = Plan("v1.12.5", "v1.14.10", Catalog($"v1.13.4 {All}", "v1.13.5 amd64,arm64", "kubelet v1.13.5 arm", $"v1.14.10 {All}"));

        Assert.Empty(problems);
        Assert.Equal("v1.13.4", hops[0].Version);
        Assert.Equal("the newest v1.13 patch that serves every targeted arch; v1.13.5 has no arm build of kubeadm, arm build of kubectl", hops[0].Note);
    }

    [Fact]
    public void ANewerPatchLackingAnArchNoTargetHas_IsTheHop()
    {
        var (hops, problems) = Plan("v1.12.5", "v1.14.10", Catalog($"v1.13.4 {All}", "v1.13.5 amd64", $"v1.14.10 {All}"), [Node("cp1", Arch.Amd64), Node("w1", Arch.Amd64)]);

        Assert.Empty(problems);
        Assert.Equal(new Hop(1, "v1.13.5"), hops[0]);
    }

    [Fact]
    public void NoBuildOfTheIntermediateMinorForAnArch_IsRefused_NamingTheArchAndItsNodes()
    {
        var (hops, problems) = Plan("v1.12.5", "v1.14.10", Catalog("v1.13.4 amd64,arm64", "kubeadm v1.13.4 arm", "kubectl v1.13.4 arm", $"v1.14.10 {All}"));

        Assert.Empty(hops);
        Assert.Equal(["v1.13: no kubelet build for arm in the catalog: odroid1, odroid2"], problems);
    }

    [Fact]
    public void NoPatchOfTheMinorAtAll_IsRefused_ForEachBinary()
    {
        var (hops, problems) = Plan("v1.12.5", "v1.14.10", Catalog($"v1.12.5 {All}", $"v1.14.10 {All}"));

        Assert.Empty(hops);
        Assert.Equal(
            UpgradeHops.Binaries.Select(b => $"v1.13: the catalog has no {b} v1.13.x (Kubernetes cannot skip a minor version: the upgrade from v1.12.5 to v1.14.10 goes through v1.13)"),
            problems);
    }

    [Fact]
    public void EveryGapOfEveryMinor_IsListed_NotJustTheFirst()
    {
        var (_, problems) = Plan("v1.12.0", "v1.15.0", Catalog("v1.13.2 amd64,arm64", "v1.14.1 amd64,arm", $"v1.15.0 {All}"));

        Assert.Equal(
            [.. UpgradeHops.Binaries.Select(b => $"v1.13: no {b} build for arm in the catalog: odroid1, odroid2"), .. UpgradeHops.Binaries.Select(b => $"v1.14: no {b} build for arm64 in the catalog: pi1")],
            problems);
    }

    [Fact]
    public void TheBinariesOfAnArchSpreadOverPatches_AreRefused()
    {
        var (_, problems) = Plan("v1.12.5", "v1.14.10", Catalog("v1.13.1 amd64,arm64", "v1.13.2 amd64,arm64", "kubeadm v1.13.1 arm", "kubelet v1.13.2 arm", "kubectl v1.13.2 arm", $"v1.14.10 {All}"));

        Assert.Equal(["v1.13: no v1.13 patch has kubeadm, kubelet and kubectl together for arm in the catalog: odroid1, odroid2"], problems);
    }

    [Fact]
    public void EachArchServedByAnotherPatch_IsRefused_ListingWhatServesEach()
    {
        var (_, problems) = Plan("v1.12.5", "v1.14.10", Catalog("v1.13.1 arm", "v1.13.2 amd64,arm64", $"v1.14.10 {All}"));

        Assert.Equal(["v1.13: no v1.13 patch of the catalog serves every targeted arch (amd64: v1.13.2; arm: v1.13.1; arm64: v1.13.2)"], problems);
    }

    [Theory]
    [InlineData("v1.12.0", "v1.12.5")] // a patch
    [InlineData("v1.12.5", "v1.13.0")] // the next minor
    [InlineData("v1.14.10", "v1.14.10")] // already there
    [InlineData("v1.14.10", "v1.12.5")] // a downgrade: the skew check refuses it
    [InlineData("not-a-version", "v1.14.10")] // the skew check says the server's version cannot be read
    public void WithinOneMinor_OrNothingToPlanFrom_IsOneHop_AsBefore(string from, string to)
    {
        var (hops, problems) = Plan(from, to, Catalog($"v1.12.5 {All}"));

        Assert.Empty(problems);
        Assert.Equal([new Hop(1, to)], hops);
    }

    [Fact]
    public void AnotherMajorVersion_IsRefused()
    {
        var (hops, problems) = Plan("v1.14.0", "v2.0.0", Catalog($"v2.0.0 {All}"));

        Assert.Empty(hops);
        Assert.Equal(["v2.0.0 is another major version than the control plane (v1.14.0): Fleet upgrades within one major version"], problems);
    }
}

using Fleet.Coordinator.Catalog;

namespace Fleet.Coordinator.Tests.Catalog;

/// <summary>The catalogs <see cref="CatalogParserMutationTests"/> found crashing or wrongly accepted, kept as plain cases.</summary>
public sealed class CatalogParserFoundByMutationTests
{
    [Theory]
    [InlineData("components:\n  kubeadm:\n", "components.kubeadm: empty")]
    [InlineData("components:\n  kubeadm:\n    kind: binary\n    versions:\n", "components.kubeadm.versions: none")]
    [InlineData("components:\n  kubeadm:\n    kind: binary\n    url: https://x.example/{version}\n    versions:\n      v1.0.0:\n", "components.kubeadm.versions.v1.0.0: no architecture")]
    [InlineData("mirrors:\n  -\ncomponents: {}\n", "mirrors[0]: empty")]
    [InlineData("mirrors:\ncomponents:\n", "components: none")]
    [InlineData("components:\n  k:\n    kind: binary\n    url: https://x.example/{arch}/{versiamd64.tgz\n    versions: { v1.0.0: { amd64: { sha256: " + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + " } } }\n", "components.k.url: an unmatched { or } (placeholders are {version}, {arch}, {os})")]
    public void EmptySectionsAndBrokenPlaceholders_AreProblems_NotCrashes(string yaml, string expected)
    {
        var (catalog, problems) = CatalogParser.Parse(yaml);
        Assert.Null(catalog);
        Assert.Contains(expected, problems);
    }
}

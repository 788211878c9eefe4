using System.Text.RegularExpressions;
using Fleet.Coordinator.Catalog;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Catalog;

public partial class CatalogParserTests
{
    private const string Sha = "b275772da4026d2161bf8a8b41ed4786754c8a93ebfb6564006d5da7f23831e5";

    [Fact]
    public void Parse_TheDocumentedExample_IsValid()
    {
        var doc = File.ReadAllText(Path.Join(Repo.Root, "docs", "catalog.md"));
        var yaml = YamlBlock().Match(doc).Groups[1].Value;

        var (catalog, problems) = CatalogParser.Parse(yaml);

        Assert.Empty(problems);
        Assert.NotNull(catalog);
        Assert.Equal(["cni-plugins", "kubectl"], catalog.Components.Keys);
        Assert.False(catalog.Components["kubectl"].Versions["v1.27.0"].ContainsKey("arm"));
    }

    [Fact]
    public void Parse_ListsEveryProblemByPath()
    {
        var yaml = $$"""
            mirrors:
              - prefix: ftp://old
                replacement: http://new/
            components:
              kubelet:
                kind: binary
                url: https://dl.k8s.io/{version}/{platform}/kubelet
                versions:
                  v1.27.0:
                    arm: { sha256: abc }
                    x86: { sha256: {{Sha}} }
              crictl:
                kind: tarball
                versions:
                  1.27:
                    amd64: { sha256: {{Sha}} }
            """;

        var (catalog, problems) = CatalogParser.Parse(yaml);

        Assert.Null(catalog);
        Assert.Equal(
        [
            "mirrors[0].prefix: not an http:// or https:// URL",
            "components.kubelet.url: unknown placeholder {platform} (known: {version}, {arch}, {os})",
            "components.kubelet.versions.v1.27.0.arm.sha256: not 64 hex characters",
            "components.kubelet.versions.v1.27.0.x86: \"x86\" is not an architecture (amd64, arm64, arm)",
            "components.crictl.kind: \"tarball\" is not a kind (binary, cni-plugins, deb)",
            "components.crictl.versions.1.27: not a version such as v1.2.3",
            "components.crictl.versions.1.27.amd64.url: missing, and components.crictl.url gives no template",
        ], problems);
    }

    [Fact]
    public void Parse_SyntaxError_NamesLineAndColumn()
    {
        var (catalog, problems) = CatalogParser.Parse("components:\n  kubectl:\n    kind: binary\n   url: [unclosed\n");

        Assert.Null(catalog);
        Assert.StartsWith("line ", Assert.Single(problems));
    }

    [Fact]
    public void Parse_UnknownField_IsAProblemNotIgnored()
    {
        var (catalog, problems) = CatalogParser.Parse($"components:\n  kubectl:\n    kind: binary\n    sha: {Sha}\n");

        Assert.Null(catalog);
        Assert.Equal(["components.kubectl.sha: unknown key (line 4) (known: kind, url, versions)", "components.kubectl.versions: none"], problems);
    }

    [Theory]
    [InlineData("")]
    [InlineData("components: {}")]
    public void Parse_EmptyCatalog_IsRefused(string yaml) => Assert.NotEmpty(CatalogParser.Parse(yaml).Problems);

    [Fact]
    public void Resolve_ExpandsTemplateForTheNodeArchAndAppliesTheMirror()
    {
        var catalog = Valid();

        var amd64 = CatalogResolver.Resolve(catalog, "cni-plugins", "v1.1.1", Arch.Amd64, out _);
        var arm = CatalogResolver.Resolve(catalog, "cni-plugins", "v1.1.1", Arch.Arm, out _);

        Assert.Equal("http://mirror.local/cni/v1.1.1/cni-plugins-linux-amd64-v1.1.1.tgz", amd64!.Url);
        Assert.Equal(new string('a', 64), amd64.Sha256);
        Assert.Equal("http://mirror.local/cni/v1.1.1/cni-plugins-linux-arm-v1.1.1.tgz", arm!.Url);
        Assert.Equal(new string('c', 64), arm.Sha256);
    }

    [Fact]
    public void Resolve_MissingArch_IsNotBuiltNeverAnotherArch()
    {
        var artifact = CatalogResolver.Resolve(Valid(), "kubectl", "v1.27.0", Arch.Arm, out var problem);

        Assert.Null(artifact);
        Assert.Equal("kubectl v1.27.0 has no arm build", problem);
    }

    [Fact]
    public void Resolve_PerArchUrlOverridesTheTemplate()
    {
        var artifact = CatalogResolver.Resolve(Valid(), "kubectl", "v1.27.0", Arch.Arm64, out _);

        Assert.Equal("http://other.example/kubectl-arm64", artifact!.Url);
    }

    [Fact]
    public void Resolve_UnknownComponentOrVersion_SaysWhatThereIs()
    {
        Assert.Null(CatalogResolver.Resolve(Valid(), "kubelet", "v1.27.0", Arch.Amd64, out var noComponent));
        Assert.Equal("the catalog has no component \"kubelet\" (it has: cni-plugins, kubectl)", noComponent);
        Assert.Null(CatalogResolver.Resolve(Valid(), "kubectl", "v9.9.9", Arch.Amd64, out var noVersion));
        Assert.Equal("the catalog has no kubectl v9.9.9 (it has: v1.27.0)", noVersion);
    }

    internal static CatalogDocument Valid() => CatalogParser.Parse($$"""
        mirrors:
          - prefix: https://github.com/containernetworking/plugins/releases/download/
            replacement: http://mirror.local/cni/
        components:
          cni-plugins:
            kind: cni-plugins
            url: https://github.com/containernetworking/plugins/releases/download/{version}/cni-plugins-{os}-{arch}-{version}.tgz
            versions:
              v1.1.1:
                amd64: { sha256: {{new string('a', 64)}} }
                arm64: { sha256: {{new string('b', 64)}} }
                arm: { sha256: {{new string('c', 64)}} }
          kubectl:
            kind: binary
            url: https://dl.k8s.io/release/{version}/bin/{os}/{arch}/kubectl
            versions:
              v1.27.0:
                amd64: { sha256: {{new string('d', 64)}} }
                arm64: { sha256: {{new string('e', 64)}}, url: "http://other.example/kubectl-arm64" }
        """).Catalog!;


    [GeneratedRegex("```yaml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();
}

using Fleet.Coordinator.Catalog;

namespace Fleet.Coordinator.Tests.Catalog;

/// <summary>The catalog's fleet-agent component: kind deb, versions X.Y.Z, and no other component may be a deb; fleet-agent-binary
/// (the bare executable for nodes installed without the package): kind binary, versions X.Y.Z.</summary>
public sealed class CatalogAgentPackageTests
{
    private const string Sha = "b275772da4026d2161bf8a8b41ed4786754c8a93ebfb6564006d5da7f23831e5";

    private static IReadOnlyList<string> Problems(string components) => CatalogParser.Parse($"components:\n{components}").Problems;

    [Fact]
    public void FleetAgent_OfKindDeb_PerArch_IsValid()
    {
        var (catalog, problems) = CatalogParser.Parse($$"""
            components:
              fleet-agent:
                kind: deb
                versions:
                  "0.9.1":
                    amd64: { url: "https://pkg.example/fleet-agent_0.9.1_amd64.deb", sha256: {{Sha}} }
                    arm64: { url: "https://pkg.example/fleet-agent_0.9.1_arm64.deb", sha256: {{Sha}} }
                    arm: { url: "https://pkg.example/fleet-agent_0.9.1_armhf.deb", sha256: {{Sha}} }
                  "10.0.12":
                    amd64: { url: "https://pkg.example/fleet-agent_10.0.12_amd64.deb", sha256: {{Sha}} }
            """);

        Assert.Empty(problems);
        Assert.Equal(ComponentKinds.Deb, catalog!.Components["fleet-agent"].Kind);
    }

    [Theory]
    [InlineData("binary")]
    [InlineData("cni-plugins")]
    public void FleetAgent_OfAnotherKind_IsRefused(string kind)
    {
        var problems = Problems($$"""
              fleet-agent:
                kind: {{kind}}
                versions: { "0.9.1": { amd64: { url: "https://pkg.example/a", sha256: {{Sha}} } } }
            """);

        Assert.Equal([$"components.fleet-agent.kind: fleet-agent is the agent's Debian package: its kind is deb, not \"{kind}\""], problems);
    }

    [Theory]
    [InlineData("kubelet")]
    [InlineData("fleet-agent-ng")]
    [InlineData("nginx")]
    public void Deb_NamedOtherwise_IsRefused(string name)
    {
        var problems = Problems($$"""
              {{name}}:
                kind: deb
                versions: { "0.9.1": { amd64: { url: "https://pkg.example/a", sha256: {{Sha}} } } }
            """);

        Assert.Equal([$"components.{name}.kind: deb is for the fleet-agent component only (Fleet installs no other Debian package); \"{name}\" cannot be a deb"], problems);
    }

    [Theory]
    [InlineData("v0.9.1")]
    [InlineData("0.9")]
    [InlineData("0.9.1.2")]
    [InlineData("0.9.1-rc1")]
    [InlineData("0.9.1+abc")]
    [InlineData("00.9.1")]
    [InlineData("latest")]
    [InlineData("0.9.x")]
    public void FleetAgent_VersionKeysThatAreNotXYZ_AreRefusedByPath(string version)
    {
        var problems = Problems($$"""
              fleet-agent:
                kind: deb
                versions: { "{{version}}": { amd64: { url: "https://pkg.example/a", sha256: {{Sha}} } } }
            """);

        Assert.Equal([$"components.fleet-agent.versions.{version}: not a fleet-agent version such as 0.9.1 (X.Y.Z, no v)"], problems);
    }

    [Fact]
    public void KubernetesComponents_KeepTheirVPrefixedVersions()
    {
        var problems = Problems($$"""
              kubelet:
                kind: binary
                versions: { "0.9.1": { amd64: { url: "https://pkg.example/a", sha256: {{Sha}} } } }
            """);

        Assert.Equal(["components.kubelet.versions.0.9.1: not a version such as v1.2.3"], problems);
    }

    [Theory]
    [InlineData("0.9.1", "0.9.1")]
    [InlineData("0.9.1+4f2a1c", "0.9.1")]
    [InlineData(" 0.9.1 ", "0.9.1")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void AgentVersions_OfReported_DropsTheBuildSuffix(string? reported, string expected) =>
        Assert.Equal(expected, AgentVersions.OfReported(reported));

    [Fact]
    public void FleetAgentBinary_OfKindBinary_PerArch_BesideTheDeb_IsValid()
    {
        var (catalog, problems) = CatalogParser.Parse($$"""
            components:
              fleet-agent:
                kind: deb
                versions: { "0.9.1": { amd64: { url: "https://pkg.example/fleet-agent_0.9.1_amd64.deb", sha256: {{Sha}} } } }
              fleet-agent-binary:
                kind: binary
                url: "https://pkg.example/fleet-agent-{version}-linux-{arch}"
                versions:
                  "0.9.1":
                    amd64: { sha256: {{Sha}} }
                    arm64: { sha256: {{Sha}} }
            """);

        Assert.Empty(problems);
        Assert.Equal(ComponentKinds.Binary, catalog!.Components["fleet-agent-binary"].Kind);
    }

    [Theory]
    [InlineData("deb")]
    [InlineData("cni-plugins")]
    public void FleetAgentBinary_OfAnotherKind_IsRefused_WithOneProblem(string kind)
    {
        var problems = Problems($$"""
              fleet-agent-binary:
                kind: {{kind}}
                versions: { "0.9.1": { amd64: { url: "https://pkg.example/a", sha256: {{Sha}} } } }
            """);

        Assert.Equal([$"components.fleet-agent-binary.kind: fleet-agent-binary is the agent's bare executable (for nodes installed without the package): its kind is binary, not \"{kind}\""], problems);
    }

    [Theory]
    [InlineData("v0.9.1")]
    [InlineData("0.9")]
    [InlineData("0.9.1.2")]
    [InlineData("0.9.1-rc1")]
    [InlineData("0.9.1+abc")]
    [InlineData("01.9.1")]
    [InlineData("latest")]
    [InlineData("../0.9.1")]
    public void FleetAgentBinary_VersionKeysThatAreNotXYZ_AreRefusedByPath(string version)
    {
        var problems = Problems($$"""
              fleet-agent-binary:
                kind: binary
                versions: { "{{version}}": { amd64: { url: "https://pkg.example/a", sha256: {{Sha}} } } }
            """);

        Assert.Equal([$"components.fleet-agent-binary.versions.{version}: not a fleet-agent version such as 0.9.1 (X.Y.Z, no v)"], problems);
    }
}

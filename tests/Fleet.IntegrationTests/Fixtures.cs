using Fleet.Testing;
using System.Text;

namespace Fleet.IntegrationTests;

/// <summary>
/// The real multi-arch artifacts made by tests/fixtures/make-artifacts.sh from Debian's packages
/// (test.sh runs it as root), and a catalog of them pointing at a local artifact server.
/// </summary>
public static class Fixtures
{
    public static string RepoRoot => Repo.Root;

    public static string Artifacts => Path.Join(RepoRoot, ".cache", "artifacts");

    public static string Sysroot => Path.Join(RepoRoot, ".cache", "sysroot");

    public static string Arm64Agent => Path.Join(RepoRoot, ".cache", "publish", "linux-arm64", "fleet-agent");

    /// <summary>The portable agent's armhf .deb as test.sh unpacks it: its data, and its maintainer scripts in DEBIAN/.</summary>
    public static string PortableDeb => Path.Join(RepoRoot, ".cache", "publish", "portable-armhf");

    /// <summary>A linux-arm64 .NET runtime laid out as a dotnet root (tests/fixtures/make-dotnet-root.sh, run by test.sh).</summary>
    public static string DotnetArm64 => Path.Join(RepoRoot, ".cache", "dotnet-arm64");

    public static IReadOnlyDictionary<string, string> Versions => ReadEnv(Require(Path.Join(Artifacts, "versions.env")));

    public static string CniVersion => Versions["CNI_VERSION"];

    public static string KubectlVersion => Versions["KUBECTL_VERSION"];

    /// <summary>sha256 of an artifact, by its path relative to the artifacts folder.</summary>
    public static string Sha256(string relative) =>
        File.ReadLines(Require(Path.Join(Artifacts, "SHA256SUMS")))
            .Select(l => l.Split(' ', 2, StringSplitOptions.TrimEntries))
            .Single(p => p[1].TrimStart('*', '.', '/') == relative)[0];

    public static string CniTarball(string arch) => $"cni-plugins-linux-{arch}-{CniVersion}.tgz";

    public static string Kubectl(string arch) => $"kubectl/{arch}/kubectl";

    /// <summary>A catalog of the fixtures served by <paramref name="baseUrl"/>/files/; <paramref name="kubectlUrls"/> may point an arch elsewhere.</summary>
    public static string Catalog(string baseUrl, string[]? kubectlArches = null, Dictionary<string, (string Path, string Sha)>? kubectlOverrides = null)
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("components:");
        yaml.AppendLine("  cni-plugins:");
        yaml.AppendLine("    kind: cni-plugins");
        yaml.AppendLine($"    url: {baseUrl}/files/cni-plugins-{{os}}-{{arch}}-{{version}}.tgz");
        yaml.AppendLine("    versions:");
        yaml.AppendLine($"      {CniVersion}:");
        foreach (var arch in new[] { "amd64", "arm64", "arm" })
        {
            yaml.AppendLine($"        {arch}: {{ sha256: {Sha256(CniTarball(arch))} }}");
        }

        yaml.AppendLine("  kubectl:");
        yaml.AppendLine("    kind: binary");
        yaml.AppendLine($"    url: {baseUrl}/files/kubectl/{{arch}}/kubectl");
        yaml.AppendLine("    versions:");
        yaml.AppendLine($"      {KubectlVersion}:");
        foreach (var arch in kubectlArches ?? ["amd64", "arm64", "arm"])
        {
            if (kubectlOverrides?.TryGetValue(arch, out var o) == true)
            {
                yaml.AppendLine($"        {arch}: {{ url: \"{baseUrl}/files/{o.Path}\", sha256: {o.Sha} }}");
            }
            else
            {
                yaml.AppendLine($"        {arch}: {{ sha256: {Sha256(Kubectl(arch))} }}");
            }
        }

        return yaml.ToString();
    }

    public static string Require(string path) =>
        File.Exists(path) || Directory.Exists(path)
            ? path
            : throw new FileNotFoundException($"test fixture {path} is missing: run ./test.sh as root once (it runs tests/install-deps.sh, which builds the fixtures)");

    private static Dictionary<string, string> ReadEnv(string path) =>
        File.ReadLines(path).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim().Trim('"'));

}

using System.Text.RegularExpressions;
using Fleet.Coordinator.Catalog;
using Fleet.Testing.Mutation;
using Fleet.V1;
using Xunit.Abstractions;

namespace Fleet.Coordinator.Tests.Catalog;

/// <summary>
/// Bounded random-mutation run of <see cref="CatalogParser"/>: every mutated catalog is refused with its problems
/// listed, or accepted only when each artifact independently resolves to an http(s) URL and a 64-hex sha256.
/// </summary>
public sealed partial class CatalogParserMutationTests(ITestOutputHelper output)
{
    private const int PerSeed = 500;

    private static readonly string[] Inputs =
    [
        $$"""
        mirrors:
          - prefix: https://github.com/containernetworking/plugins/releases/download/
            replacement: http://artifacts.example.internal/cni/
        components:
          cni-plugins:
            kind: cni-plugins
            url: https://github.com/containernetworking/plugins/releases/download/{version}/cni-plugins-{os}-{arch}-{version}.tgz
            versions:
              v1.1.1:
                amd64: { sha256: {{new string('a', 64)}} }
                arm64: { sha256: {{new string('b', 64)}} }
                arm:   { sha256: {{new string('c', 64)}} }
          kubectl:
            kind: binary
            url: https://dl.k8s.io/release/{version}/bin/{os}/{arch}/kubectl
            versions:
              v1.27.0:
                amd64: { sha256: {{new string('d', 64)}} }
                arm64: { sha256: {{new string('e', 64)}}, url: "https://mirror.example/kubectl-arm64" }
        """,
        $$"""
        components:
          kubeadm:
            kind: binary
            versions:
              v1.12.5: { amd64: { url: "http://127.0.0.1:8080/kubeadm", sha256: {{new string('1', 64)}} } }
        """,
    ];

    [Fact]
    public async Task MutationRun_EveryMutatedCatalog_IsRefusedWithProblemsOrIndependentlyValid()
    {
        foreach (var seed in Inputs)
        {
            Assert.Empty(CatalogParser.Parse(seed).Problems);
        }

        var run = new MutationRun("CatalogParser");
        await run.DriveAsync(PerSeed, (m, i) =>
        {
            run.Judge(m, i, m.Text(Inputs[m.Random.Next(Inputs.Length)]), CatalogParser.Parse, Independent);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(180));

        output.WriteLine(run.Summary);
        Assert.True(run.Failures.Count == 0, run.Report);
    }

    private static string? Independent(CatalogDocument catalog)
    {
        if (catalog.Components.Count == 0)
        {
            return "no components";
        }

        foreach (var mirror in catalog.Mirrors)
        {
            if (!IsHttp(mirror.Prefix) || !IsHttp(mirror.Replacement))
            {
                return $"mirror {mirror.Prefix} -> {mirror.Replacement}";
            }
        }

        foreach (var (name, component) in catalog.Components)
        {
            if (component.Kind is not (ComponentKinds.Binary or ComponentKinds.CniPlugins))
            {
                return $"{name}: kind {component.Kind}";
            }

            foreach (var (version, arches) in component.Versions)
            {
                if (!Version().IsMatch(version) || arches.Count == 0)
                {
                    return $"{name}: version {version}";
                }

                foreach (var (arch, artifact) in arches)
                {
                    if (!ArchNames.TryParse(arch, out var parsed) || !parsed.IsKnown())
                    {
                        return $"{name} {version}: arch {arch}";
                    }

                    if (artifact?.Sha256 is not { } sha || !Hex64().IsMatch(sha))
                    {
                        return $"{name} {version} {arch}: sha256 {artifact?.Sha256}";
                    }

                    var resolved = CatalogResolver.Resolve(catalog, name, version, parsed, out var problem);
                    if (resolved is null || !IsHttp(resolved.Url) || resolved.Url.Contains('{', StringComparison.Ordinal))
                    {
                        return $"{name} {version} {arch}: resolves to {resolved?.Url ?? problem}";
                    }
                }
            }
        }

        return null;
    }

    private static bool IsHttp(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0;

    [GeneratedRegex(@"^v\d+\.\d+\.\d+")]
    private static partial Regex Version();

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Hex64();
}

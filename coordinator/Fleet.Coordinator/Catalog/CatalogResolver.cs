using Fleet.V1;

namespace Fleet.Coordinator.Catalog;

/// <summary>A component build for one architecture, with its URL expanded and mirrored.</summary>
public sealed record ResolvedArtifact(string Component, string Kind, string Version, Arch Arch, string Url, string Sha256);

/// <summary>Resolves component + version + arch to one URL and one sha256. Never substitutes another arch.</summary>
public static class CatalogResolver
{
    public const string Os = "linux";

    /// <summary>The artifact, or null with the reason ("kubectl v1.27.0 has no arm build").</summary>
    public static ResolvedArtifact? Resolve(CatalogDocument catalog, string component, string version, Arch arch, out string problem)
    {
        problem = "";
        if (!catalog.Components.TryGetValue(component, out var doc))
        {
            problem = $"the catalog has no component \"{component}\" (it has: {string.Join(", ", catalog.Components.Keys.Order(StringComparer.Ordinal))})";
            return null;
        }

        if (!doc.Versions.TryGetValue(version, out var arches))
        {
            problem = $"the catalog has no {component} {version} (it has: {string.Join(", ", doc.Versions.Keys.Order(StringComparer.Ordinal))})";
            return null;
        }

        if (!arches.TryGetValue(arch.ToName(), out var artifact) || artifact is null)
        {
            problem = $"{component} {version} has no {arch.ToName()} build";
            return null;
        }

        var template = artifact.Url ?? doc.Url!;
        var url = template.Replace("{version}", version, StringComparison.Ordinal)
            .Replace("{arch}", arch.ToName(), StringComparison.Ordinal)
            .Replace("{os}", Os, StringComparison.Ordinal);
        foreach (var mirror in catalog.Mirrors)
        {
            if (url.StartsWith(mirror.Prefix!, StringComparison.Ordinal))
            {
                url = mirror.Replacement + url[mirror.Prefix!.Length..];
                break;
            }
        }

        return new ResolvedArtifact(component, doc.Kind!, version, arch, url, artifact.Sha256!);
    }
}

using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Nodes;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>One hop of an upgrade: every targeted node moves to <see cref="Version"/> in phase <see cref="Phase"/> (1-based).</summary>
/// <param name="Note">why this patch of its minor, when the catalog has a newer one that does not serve every targeted arch</param>
public sealed record Hop(int Phase, string Version, string Note = "");

/// <summary>
/// Kubernetes cannot skip minor versions: an upgrade from v1.12.x to v1.14.10 goes through v1.13. The hops are
/// the newest patch of each intermediate minor for which the catalog serves kubeadm, kubelet and kubectl for
/// EVERY targeted node's arch (a newer patch that lacks one arch is passed over, and the hop's note says so),
/// then the plan's own version. A minor with no such patch refuses the plan, naming the arch and the nodes.
/// The start is the control plane's version (the API server's); a target in the control plane's minor, or the
/// next, is one hop, exactly as before. No bound on the number of hops: the catalog is the bound.
/// </summary>
public static class UpgradeHops
{
    public static readonly string[] Binaries = ["kubeadm", "kubelet", "kubectl"];

    public static (List<Hop> Hops, List<string> Problems) Plan(UpgradeRecipe upgrade, ClusterView cluster, CatalogDocument? catalog, IReadOnlyList<NodeRecord> targets)
    {
        List<Hop> single = [new Hop(1, upgrade.Version)];
        if (!KubeVersion.TryParse(upgrade.Version, out var target) || !KubeVersion.TryParse(cluster.ServerVersion, out var from)
            || target.MinorsAfter(from) <= 1 || catalog is null)
        {
            return (single, []); // the skew check (and the catalog check) report what is wrong with these
        }

        if (target.Major != from.Major)
        {
            return ([], [$"{target} is another major version than the control plane ({from}): Fleet upgrades within one major version"]);
        }

        var hops = new List<Hop>();
        var problems = new List<string>();
        for (var minor = from.Minor + 1; minor < target.Minor; minor++)
        {
            var (hop, hopProblems) = Intermediate(catalog, from, target, minor, targets, hops.Count + 1);
            problems.AddRange(hopProblems);
            if (hop is not null)
            {
                hops.Add(hop);
            }
        }

        hops.Add(new Hop(hops.Count + 1, upgrade.Version));
        return problems.Count > 0 ? ([], problems) : (hops, problems);
    }

    /// <summary>The newest patch of <paramref name="minor"/> served for every targeted arch, or every reason there is none.</summary>
    private static (Hop? Hop, List<string> Problems) Intermediate(CatalogDocument catalog, KubeVersion from, KubeVersion target, int minor, IReadOnlyList<NodeRecord> targets, int phase)
    {
        var name = $"v{from.Major}.{minor}";
        var problems = new List<string>();
        var byArch = targets.GroupBy(n => n.Facts.Arch).OrderBy(g => g.Key.ToName(), StringComparer.Ordinal).ToList();

        // Every release of the minor that some binary has, newest first (pre-releases are never a hop).
        var releases = Binaries
            .SelectMany(b => catalog.Components.TryGetValue(b, out var c) ? c.Versions.Keys : Enumerable.Empty<string>())
            .Select(v => KubeVersion.TryParse(v, out var k) && k.Major == from.Major && k.Minor == minor && !v.Contains('-', StringComparison.Ordinal) ? v : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(KubeVersion.Parse)
            .ToList();
        foreach (var binary in Binaries.Where(b => !releases.Any(v => Builds(catalog, b, v).Any())))
        {
            problems.Add($"{name}: the catalog has no {binary} {name}.x (Kubernetes cannot skip a minor version: the upgrade from {from} to {target} goes through {name})");
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        var chosen = releases.FirstOrDefault(v => byArch.All(g => Serves(catalog, v, g.Key)));
        if (chosen is not null)
        {
            var newest = releases[0];
            var note = chosen == newest ? "" : $"the newest {name} patch that serves every targeted arch; {newest} has no {Lacking(catalog, newest, byArch.Select(g => g.Key))}";
            return (new Hop(phase, chosen, note), problems);
        }

        foreach (var arch in byArch)
        {
            var nodes = string.Join(", ", arch.Select(n => n.Name).Order(StringComparer.Ordinal));
            var missing = Binaries.Where(b => !releases.Any(v => Builds(catalog, b, v).Contains(arch.Key.ToName()))).ToList();
            foreach (var binary in missing)
            {
                problems.Add($"{name}: no {binary} build for {arch.Key.ToName()} in the catalog: {nodes}");
            }

            if (missing.Count == 0 && !releases.Any(v => Serves(catalog, v, arch.Key)))
            {
                problems.Add($"{name}: no {name} patch has kubeadm, kubelet and kubectl together for {arch.Key.ToName()} in the catalog: {nodes}");
            }
        }

        if (problems.Count == 0)
        {
            var served = byArch.Select(g => $"{g.Key.ToName()}: {string.Join(", ", releases.Where(v => Serves(catalog, v, g.Key)))}");
            problems.Add($"{name}: no {name} patch of the catalog serves every targeted arch ({string.Join("; ", served)})");
        }

        return (null, problems);
    }

    private static bool Serves(CatalogDocument catalog, string version, Arch arch) =>
        Binaries.All(b => Builds(catalog, b, version).Contains(arch.ToName()));

    /// <summary>The arch names the catalog has a build of <paramref name="binary"/> <paramref name="version"/> for.</summary>
    private static IEnumerable<string> Builds(CatalogDocument catalog, string binary, string version) =>
        catalog.Components.TryGetValue(binary, out var c) && c.Versions.TryGetValue(version, out var arches)
            ? arches.Where(a => a.Value is not null).Select(a => a.Key)
            : [];

    private static string Lacking(CatalogDocument catalog, string version, IEnumerable<Arch> arches) =>
        string.Join(", ", arches.SelectMany(a => Binaries.Where(b => !Builds(catalog, b, version).Contains(a.ToName())).Select(b => $"{a.ToName()} build of {b}")));
}

using Fleet.Coordinator.Nodes;
using Fleet.V1;

namespace Fleet.Coordinator.Steps;

/// <summary>The nodes a selector picks: every given criterion must match, and no excluded node is picked.</summary>
public static class NodeSelection
{
    public static List<NodeRecord> Select(IEnumerable<NodeRecord> nodes, NodeSelector? selector)
    {
        selector ??= new NodeSelector();
        return nodes.Where(n =>
                (selector.Names.Count == 0 || selector.Names.Contains(n.Name))
                && (selector.Arch == Arch.Unspecified || n.Facts.Arch == selector.Arch)
                && selector.Labels.All(l => n.Facts.Labels.TryGetValue(l.Key, out var v) && v == l.Value)
                && !selector.Exclude.Contains(n.Name))
            .ToList();
    }

    public static string Describe(NodeSelector? selector)
    {
        if (selector is null)
        {
            return "all nodes";
        }

        var parts = new List<string>();
        if (selector.Names.Count > 0)
        {
            parts.Add($"names {string.Join(",", selector.Names)}");
        }

        if (selector.Arch != Arch.Unspecified)
        {
            parts.Add($"arch {selector.Arch.ToName()}");
        }

        parts.AddRange(selector.Labels.Select(l => $"label {l.Key}={l.Value}"));
        var described = parts.Count == 0 ? "all nodes" : string.Join(", ", parts);
        described = selector.Exclude.Count == 0 ? described : $"{described}, excluding {string.Join(",", selector.Exclude)}";
        return selector.SkipDisconnected ? $"{described}, skipping disconnected nodes" : described;
    }

    /// <summary>Named nodes (names or exclude) that do not exist: a typo must not silently widen or empty a target.</summary>
    public static List<string> Unknown(IEnumerable<NodeRecord> nodes, NodeSelector? selector)
    {
        if (selector is null)
        {
            return [];
        }

        var known = nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        var missing = selector.Names.Where(n => !known.Contains(n)).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"no such node: {string.Join(", ", missing)}");
        }

        var missingExcluded = selector.Exclude.Where(n => !known.Contains(n)).ToList();
        if (missingExcluded.Count > 0)
        {
            problems.Add($"exclude: no such node: {string.Join(", ", missingExcluded)}");
        }

        return problems;
    }
}

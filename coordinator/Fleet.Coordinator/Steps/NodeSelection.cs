using Fleet.Coordinator.Nodes;
using Fleet.V1;

namespace Fleet.Coordinator.Steps;

/// <summary>The nodes a selector picks: every given criterion must match.</summary>
public static class NodeSelection
{
    public static List<NodeRecord> Select(IEnumerable<NodeRecord> nodes, NodeSelector? selector)
    {
        selector ??= new NodeSelector();
        return nodes.Where(n =>
                (selector.Names.Count == 0 || selector.Names.Contains(n.Name))
                && (selector.Arch == Arch.Unspecified || n.Facts.Arch == selector.Arch)
                && selector.Labels.All(l => n.Facts.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
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
        return parts.Count == 0 ? "all nodes" : string.Join(", ", parts);
    }
}

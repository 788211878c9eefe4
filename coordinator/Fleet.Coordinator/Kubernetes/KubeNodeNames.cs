using Fleet.Coordinator.Nodes;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>Which Kubernetes node a Fleet node is: <see cref="KubeNodeName"/> is empty when it is none (see <see cref="Problem"/>).</summary>
/// <param name="MappedBy">"name" (its certificate name, the default) or "operator" (`fleetctl cluster map`).</param>
public sealed record KubeNodeAssignment(string FleetNode, string KubeNodeName, string MappedBy, string Problem)
{
    public bool Mapped => KubeNodeName.Length > 0;

    /// <summary>For a message: "pi-1 (as k-pi-1)", or "pi-1 (Kubernetes node pi-1 is mapped to Fleet node pi-2 by an operator)".</summary>
    public string Describe() => Mapped ? $"{FleetNode} (as {KubeNodeName})" : $"{FleetNode} ({Problem})";
}

/// <summary>
/// Maps Fleet nodes to Kubernetes nodes. A node is the Kubernetes node of its certificate name (which is also
/// the `--node-name` a Fleet join gives kubeadm), unless an operator mapped it elsewhere (<see cref="KubeNodeMapStore"/>).
/// Nothing the node reports about itself (hostname, labels) takes part: a node cannot choose another node's
/// Kubernetes node. An operator mapping wins over a name: a node enrolled later under the name of a Kubernetes
/// node an operator gave to another Fleet node maps to nothing, so one Kubernetes node never has two Fleet nodes.
/// </summary>
public static class KubeNodeNames
{
    public const string ByName = "name";

    public const string ByOperator = "operator";

    /// <summary>The assignment of every node in <paramref name="fleet"/>, by Fleet node name.</summary>
    /// <param name="operatorMap">Every operator mapping (<see cref="KubeNodeMapStore.ListAsync"/>), of connected nodes or not.</param>
    public static IReadOnlyDictionary<string, KubeNodeAssignment> Resolve(IEnumerable<NodeRecord> fleet, IEnumerable<OperatorKubeNodeMapping> operatorMap)
    {
        var byId = new Dictionary<string, string>(StringComparer.Ordinal);
        var claimedByOperator = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var mapping in operatorMap)
        {
            byId[mapping.NodeId] = mapping.KubeNode;
            claimedByOperator[mapping.KubeNode] = mapping.FleetNode;
        }

        var result = new Dictionary<string, KubeNodeAssignment>(StringComparer.Ordinal);
        foreach (var record in fleet)
        {
            if (byId.TryGetValue(record.Id, out var mapped))
            {
                result[record.Name] = new KubeNodeAssignment(record.Name, mapped, ByOperator, "");
            }
            else if (claimedByOperator.TryGetValue(record.Name, out var other))
            {
                result[record.Name] = new KubeNodeAssignment(record.Name, "", ByName, $"Kubernetes node {record.Name} is mapped to Fleet node {other} by an operator");
            }
            else
            {
                result[record.Name] = new KubeNodeAssignment(record.Name, record.Name, ByName, "");
            }
        }

        return result;
    }

    /// <summary>Kubernetes node names: RFC 1123 subdomains (lowercase letters, digits, '-' and '.', at most 253, each part alphanumeric at both ends).</summary>
    public const string Rule = "a DNS subdomain: lowercase letters, digits, '-' and '.', at most 253 characters, each dot-separated part starting and ending with a letter or digit";

    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 253
        && name.Split('.').All(part => part.Length is > 0 and <= 63
            && part.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            && char.IsAsciiLetterOrDigit(part[0]) && char.IsAsciiLetterOrDigit(part[^1]));
}

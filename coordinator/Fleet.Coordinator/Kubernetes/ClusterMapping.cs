using Fleet.Coordinator.Nodes;
using Fleet.V1;
using k8s.Models;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>How Fleet nodes map to Kubernetes nodes (<see cref="KubeNodeNames"/>), and whether their architectures agree.</summary>
public static class ClusterMapping
{
    public static List<NodeMapping> Map(IEnumerable<NodeRecord> fleet, IReadOnlyDictionary<string, KubeNodeAssignment> assignments, IEnumerable<V1Node> kube)
    {
        var byName = kube.Where(n => n.Metadata?.Name is not null).ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
        var mappings = new List<NodeMapping>();
        foreach (var record in fleet.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var assignment = assignments[record.Name];
            V1Node? node = null;
            var found = assignment.Mapped && byName.TryGetValue(assignment.KubeNodeName, out node);
            var fleetArch = record.Facts.Arch.IsKnown() ? record.Facts.Arch.ToName() : "";
            var kubeArch = node is null ? "" : KubeLabels.LabelOf(node, KubeLabels.Arch);
            mappings.Add(new NodeMapping
            {
                FleetNode = record.Name,
                KubeNode = assignment.KubeNodeName,
                MappedBy = assignment.MappedBy,
                Found = found,
                FleetArch = fleetArch,
                KubeArch = kubeArch,
                ArchMismatch = found && fleetArch.Length > 0 && kubeArch.Length > 0 && fleetArch != kubeArch,
                Approved = record.Approved,
                Conflict = assignment.Problem,
            });
        }

        return mappings;
    }
}

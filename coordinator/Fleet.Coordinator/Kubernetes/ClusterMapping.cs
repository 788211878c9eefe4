using Fleet.Coordinator.Nodes;
using Fleet.V1;
using k8s.Models;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>How Fleet nodes map to Kubernetes nodes (<see cref="KubeNodeNames"/>), and whether their architectures agree.</summary>
public static class ClusterMapping
{
    public static List<NodeMapping> Map(IEnumerable<NodeRecord> fleet, IEnumerable<V1Node> kube)
    {
        var byName = kube.Where(n => n.Metadata?.Name is not null).ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
        var mappings = new List<NodeMapping>();
        foreach (var record in fleet.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var kubeName = KubeNodeNames.For(record.Name, record.Facts);
            var found = byName.TryGetValue(kubeName, out var node);
            var fleetArch = record.Facts.Arch.IsKnown() ? record.Facts.Arch.ToName() : "";
            var kubeArch = node is null ? "" : KubeLabels.LabelOf(node, KubeLabels.Arch);
            mappings.Add(new NodeMapping
            {
                FleetNode = record.Name,
                KubeNode = kubeName,
                MappedBy = record.Facts.Labels.ContainsKey(KubeNodeNames.Label) ? "label" : string.IsNullOrEmpty(record.Facts.Hostname) ? "name" : "hostname",
                Found = found,
                FleetArch = fleetArch,
                KubeArch = kubeArch,
                ArchMismatch = found && fleetArch.Length > 0 && kubeArch.Length > 0 && fleetArch != kubeArch,
            });
        }

        return mappings;
    }
}

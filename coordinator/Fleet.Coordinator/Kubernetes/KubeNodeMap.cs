using Fleet.Coordinator.Nodes;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>The one place that says which Kubernetes node each Fleet node is (<see cref="KubeNodeNames"/>), for status, audit, labels and rollouts.</summary>
public sealed class KubeNodeMap(KubeNodeMapStore store)
{
    public async Task<IReadOnlyDictionary<string, KubeNodeAssignment>> ResolveAsync(IEnumerable<NodeRecord> fleet, CancellationToken ct) =>
        KubeNodeNames.Resolve(fleet, await store.ListAsync(ct));
}

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// Puts one prefetch step first in each node's resolved steps, carrying the artifact of every
/// Download and InstallCni step of that node (recipes and explicit `steps:` plans alike), so the node
/// has every artifact downloaded and verified before it is cordoned or any binary is replaced; the
/// later steps install from the agent's staging cache. A node without artifact steps gets none, nor
/// does a node whose only step is one artifact step (`install-cni`, `fleetctl run download`): that
/// step already verifies everything before it replaces anything. `strategy.prefetch: false` turns it
/// off (each artifact is then downloaded by its own step). A multi-hop upgrade gets one prefetch at the start of
/// each phase, carrying that phase's artifacts.
/// </summary>
public static class PrefetchPlanner
{
    public static List<NodePlan> Apply(RolloutPlan plan, List<NodePlan> nodes) =>
        plan.Strategy.Prefetch ? nodes.Select(n => n with { Steps = WithPrefetch(n, plan.Strategy.Timeouts) }).ToList() : nodes;

    /// <summary>Per phase: a multi-hop upgrade stages each hop's artifacts at the start of that hop, so a staged file
    /// never waits out a whole phase of the fleet (or a maintenance window) in the cache.</summary>
    private static IReadOnlyList<NodeStep> WithPrefetch(NodePlan node, StepTimeouts timeouts) =>
        [.. node.Steps.GroupBy(s => s.Phase).OrderBy(g => g.Key).SelectMany(g => PhaseWithPrefetch(node, [.. g], g.Key, timeouts))];

    private static IReadOnlyList<NodeStep> PhaseWithPrefetch(NodePlan node, IReadOnlyList<NodeStep> steps, int phase, StepTimeouts timeouts)
    {
        var items = steps
            .OfType<NodeStep.Artifact>()
            .Where(a => a.Url is not null && a.Sha256 is not null)
            .Select(a => new NodeStep.PrefetchItem(a.Component, a.Version, a.Url!, a.Sha256!, a is NodeStep.Download, a.Dest))
            .DistinctBy(a => a.Sha256, StringComparer.Ordinal)
            .ToList();
        if (items.Count == 0 || steps.Count == 1)
        {
            return steps;
        }

        var arch = node.Node.Facts.Arch;
        // The whole prefetch: each artifact gets the time a download step of its own would have.
        var prefetch = new NodeStep.Prefetch { Artifacts = items, Arch = arch, Timeout = timeouts.Download * items.Count, Phase = phase };
        return [prefetch with { Description = prefetch.Describe(node.KubeNode, arch) }, .. steps];
    }
}

using Fleet.Coordinator.Kubernetes;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>
/// A nodesReady gate: the rollout's nodes that have started (scope targeted) or every node the API lists (scope
/// cluster) are Ready, waiting for each that is not (with the cluster's watch) until the gate's timeout.
/// </summary>
public sealed class NodesReadyGateCheck(IKubernetesClusterProvider kubernetes)
{
    /// <summary>Null when every node is Ready within the timeout, else which are not and why.</summary>
    public async Task<string?> CheckAsync(NodesReadyGate gate, RolloutRun run, CancellationToken ct)
    {
        var cluster = await kubernetes.GetAsync(ct);
        if (cluster is null)
        {
            return "no Kubernetes cluster is configured (fleet-coordinator --kubeconfig): nodesReady cannot be checked";
        }

        IReadOnlyList<KubeNode> listed;
        try
        {
            listed = await cluster.ListNodesAsync(ct);
        }
        catch (Exception ex) when (ex is KubernetesActionException or HttpRequestException)
        {
            return $"listing the nodes failed: {BoundedText.Of(ex.Message)}";
        }

        var names = gate.Scope == GateScope.Cluster
            ? listed.Select(n => n.Name).ToList()
            : run.Read(v => v.Nodes.Where(n => n.State is not (RolloutNodeState.Pending or RolloutNodeState.Skipped)).Select(n => n.Name).ToList())
                .Select(n => run.Nodes[n].KubeNode).ToList();
        var ready = listed.Where(n => n.Ready).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        // Every node that is not Ready is waited for at once, each with the gate's timeout (one watch each).
        var waits = names.Where(n => !ready.Contains(n)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(name => WaitAsync(cluster, name, gate.Timeout, ct));
        var problems = (await Task.WhenAll(waits)).OfType<string>().ToList();
        return problems.Count == 0 ? null : $"{problems.Count} of {names.Count} node(s) not Ready: {string.Join("; ", problems)}";
    }

    private static async Task<string?> WaitAsync(IKubernetesCluster cluster, string node, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await cluster.WaitReadyAsync(node, null, timeout, ct);
            return null;
        }
        catch (Exception ex) when (ex is KubernetesActionException or HttpRequestException)
        {
            return BoundedText.Of(ex.Message);
        }
    }
}

using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Steps;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>A plan that passed preflight: each node's resolved steps and the batches.</summary>
public sealed record PreparedRollout(RolloutPlan Plan, IReadOnlyList<NodePlan> Nodes, IReadOnlyList<Batch> Batches)
{
    /// <summary>Selected nodes left out because they were not connected (target.skipDisconnected), by name.</summary>
    public IReadOnlyList<string> SkippedDisconnected { get; init; } = [];
}

/// <summary>
/// Checks a plan before any node is touched and reports every problem at once: the target, the nodes'
/// connections, approvals and other rollouts holding them, the catalog for every arch and version the plan
/// needs, the Kubernetes API when the plan needs it, and the version-skew policy.
/// </summary>
public sealed class RolloutPreflight(INodeStore nodes, ICatalogStore catalogs, TargetChecks targetChecks, IKubernetesClusterProvider kubernetes, KubeNodeMap kubeNodeMap, Notifications.WebhookSecrets webhookSecrets)
{
    public async Task<(PreparedRollout? Rollout, List<string> Problems)> PrepareAsync(RolloutPlan plan, CancellationToken ct)
    {
        var problems = new List<string>();
        var all = await nodes.ListAsync(ct);
        var unknown = NodeSelection.Unknown(all, plan.Target);
        problems.AddRange(unknown);
        var targets = NodeSelection.Select(all, plan.Target).OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        List<string> skipped = [];
        if (plan.Target.SkipDisconnected)
        {
            skipped = targets.Where(n => !targetChecks.IsConnected(n)).Select(n => n.Name).ToList();
            targets = targets.Where(n => !skipped.Contains(n.Name)).ToList();
        }

        if (targets.Count == 0 && unknown.Count == 0)
        {
            problems.Add(skipped.Count == 0
                ? $"the target selects no node ({NodeSelection.Describe(plan.Target)})"
                : $"the target selects no connected node ({NodeSelection.Describe(plan.Target)}; not connected: {string.Join(", ", skipped)})");
        }

        problems.AddRange(await targetChecks.ProblemsAsync(targets, ct));

        var cluster = ClusterView.None;
        if (plan.NeedsKubernetes)
        {
            cluster = await ClusterAsync(problems, ct);
        }

        if (plan.Recipe is JoinRecipe { ControlPlane: true })
        {
            problems.Add("recipe.join.controlPlane: joining control-plane nodes is not supported yet (it needs kubeadm's uploaded-certificates key); join workers, or join control-plane nodes with kubeadm by hand");
        }

        // Mapped over every node, not only the targets: an operator's mapping of another node decides whether a target's name is free.
        var kubeNodes = await kubeNodeMap.ResolveAsync(all, ct);
        if (plan.NeedsKubernetes)
        {
            TargetChecks.Group(problems, "no Kubernetes node", targets.Where(n => !kubeNodes[n.Name].Mapped), n => kubeNodes[n.Name].Describe());
        }

        problems.AddRange(webhookSecrets.Problems(plan.Notifications));
        var catalog = await catalogs.CurrentAsync(ct);
        var (hops, hopProblems) = plan.Recipe is UpgradeRecipe upgrade ? UpgradeHops.Plan(upgrade, cluster, catalog?.Document, targets) : ([], []);
        problems.AddRange(hopProblems);
        var (planned, resolveProblems) = PlanExpander.Expand(plan, targets, catalog?.Document, cluster, kubeNodes, hops);
        problems.AddRange(resolveProblems);
        if (cluster.ServerVersion is not null)
        {
            problems.AddRange(RolloutSkew.Check(plan, planned, cluster, hops));
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        return (new PreparedRollout(plan, planned, Batches.Plan(planned, plan.Strategy, hops)) { SkippedDisconnected = skipped }, problems);
    }

    private async Task<ClusterView> ClusterAsync(List<string> problems, CancellationToken ct)
    {
        try
        {
            var cluster = await kubernetes.GetAsync(ct);
            if (cluster is null)
            {
                problems.Add("this plan needs the Kubernetes API (cordon, drain, readiness or bootstrap tokens), and no kubeconfig is configured (fleetctl cluster set --kubeconfig FILE)");
                return ClusterView.None;
            }

            var version = await cluster.GetServerVersionAsync(ct);
            var kubeNodes = await cluster.ListNodesAsync(ct);
            return new ClusterView(version, kubeNodes.ToDictionary(n => n.Name, StringComparer.Ordinal));
        }
        catch (Exception ex) when (ex is KubernetesActionException or HttpRequestException or IOException)
        {
            problems.Add($"the Kubernetes API server cannot be reached: {ex.Message}");
            return ClusterView.None;
        }
    }
}

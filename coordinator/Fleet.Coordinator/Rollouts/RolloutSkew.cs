namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// Kubernetes' version-skew policy as it applies to a plan: the control plane moves one minor version at a
/// time, never backwards, and no kubelet is ever newer than the control plane.
/// </summary>
public static class RolloutSkew
{
    /// <param name="hops">an upgrade's hops (<see cref="UpgradeHops"/>): each moves one minor version at most, so only the
    /// first hop is checked against the control plane and the kubelets; null or one hop: the plan's version is the hop;
    /// empty: the hops were refused, and the minor-version rules are left to that refusal</param>
    public static List<string> Check(RolloutPlan plan, IReadOnlyList<NodePlan> nodes, ClusterView cluster, IReadOnlyList<Hop>? hops = null)
    {
        var problems = new List<string>();
        if (!KubeVersion.TryParse(cluster.ServerVersion, out var controlPlane))
        {
            problems.Add($"the API server reports a version Fleet cannot read: \"{cluster.ServerVersion}\"");
            return problems;
        }

        var needsKubeNode = plan.Recipe is UpgradeRecipe || (plan.Recipe is StepsRecipe s && s.Steps.Any(x => x is NodeStep.Cordon or NodeStep.Drain or NodeStep.Uncordon));
        if (needsKubeNode)
        {
            var strangers = nodes.Where(n => n.KubeNode.Length > 0 && !cluster.Nodes.ContainsKey(n.KubeNode)).Select(n => $"{n.Node.Name} (as {n.KubeNode})").ToList();
            if (strangers.Count > 0)
            {
                problems.Add($"not Kubernetes nodes (a node is the Kubernetes node of its name unless an operator mapped it: fleetctl cluster map NODE KUBE-NODE): {string.Join(", ", strangers)}");
            }
        }

        switch (plan.Recipe)
        {
            case UpgradeRecipe upgrade:
                var target = KubeVersion.Parse(upgrade.Version);
                var first = hops is { Count: > 0 } ? KubeVersion.Parse(hops[0].Version) : target;
                if (target < controlPlane)
                {
                    problems.Add($"{target} is older than the control plane ({controlPlane}): Fleet does not downgrade");
                }
                else if (hops is not { Count: 0 } && first.MinorsAfter(controlPlane) > 1)
                {
                    problems.Add($"{target} skips a minor version: the control plane is at {controlPlane}; upgrade one minor version at a time");
                }
                else if (target > controlPlane && !nodes.Any(n => n.ControlPlane))
                {
                    problems.Add($"kubelet {target} would be newer than the control plane ({controlPlane}): target the control-plane nodes too, or upgrade them first");
                }

                var skipping = hops is { Count: 0 } ? [] : nodes
                    .Where(n => cluster.Nodes.TryGetValue(n.KubeNode, out var k) && KubeVersion.TryParse(k.KubeletVersion, out var kubelet) && first.MinorsAfter(kubelet) > 1)
                    .Select(n => $"{n.Node.Name} ({cluster.Nodes[n.KubeNode].KubeletVersion})")
                    .ToList();
                if (skipping.Count > 0)
                {
                    problems.Add($"kubelet would skip a minor version on the way to {first}: {string.Join(", ", skipping)}");
                }

                break;
            case JoinRecipe join:
                var version = PlanExpander.JoinVersion(join, cluster);
                if (version is not null && KubeVersion.Parse(version) > controlPlane)
                {
                    problems.Add($"kubelet {version} would be newer than the control plane ({controlPlane})");
                }

                break;
        }

        return problems;
    }
}

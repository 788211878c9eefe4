namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// Kubernetes' version-skew policy as it applies to a plan: the control plane moves one minor version at a
/// time, never backwards, and no kubelet is ever newer than the control plane.
/// </summary>
public static class RolloutSkew
{
    public static List<string> Check(RolloutPlan plan, IReadOnlyList<NodePlan> nodes, ClusterView cluster)
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
                if (target < controlPlane)
                {
                    problems.Add($"{target} is older than the control plane ({controlPlane}): Fleet does not downgrade");
                }
                else if (target.MinorsAfter(controlPlane) > 1)
                {
                    problems.Add($"{target} skips a minor version: the control plane is at {controlPlane}; upgrade one minor version at a time");
                }
                else if (target > controlPlane && !nodes.Any(n => n.ControlPlane))
                {
                    problems.Add($"kubelet {target} would be newer than the control plane ({controlPlane}): target the control-plane nodes too, or upgrade them first");
                }

                var skipping = nodes
                    .Where(n => cluster.Nodes.TryGetValue(n.KubeNode, out var k) && KubeVersion.TryParse(k.KubeletVersion, out var kubelet) && target.MinorsAfter(kubelet) > 1)
                    .Select(n => $"{n.Node.Name} ({cluster.Nodes[n.KubeNode].KubeletVersion})")
                    .ToList();
                if (skipping.Count > 0)
                {
                    problems.Add($"kubelet would skip a minor version on the way to {target}: {string.Join(", ", skipping)}");
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

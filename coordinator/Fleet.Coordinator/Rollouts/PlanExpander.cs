using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Nodes;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>What the cluster looks like when a rollout is planned; null members when no cluster is configured.</summary>
public sealed record ClusterView(string? ServerVersion, IReadOnlyDictionary<string, KubeNode> Nodes)
{
    public static readonly ClusterView None = new(null, new Dictionary<string, KubeNode>());
}

/// <summary>One node's part: its Kubernetes node name and its resolved steps.</summary>
public sealed record NodePlan(NodeRecord Node, string KubeNode, bool ControlPlane, IReadOnlyList<NodeStep> Steps)
{
    /// <summary>The node's kubelet version when the rollout was planned (the cluster view); for upgrade-agent its agent
    /// version; "" when unknown. // issue 15 rollback</summary>
    public string FromVersion { get; init; } = "";

    /// <summary>The version the rollout moves the node to (<see cref="RolloutVersions.To"/>); "" for a plan without one.</summary>
    public string ToVersion { get; init; } = "";
}

/// <summary>
/// Turns a plan into each node's concrete steps, resolved against the catalog for the node's own
/// architecture. Every artifact the catalog cannot serve is reported, grouped by problem, with the
/// nodes it affects ("kubelet v1.27.0 has no arm build: odroid1, odroid2").
/// </summary>
public static class PlanExpander
{
    /// <param name="kubeNodes">Each target's Kubernetes node (<see cref="KubeNodeNames"/>), by Fleet node name; an unmapped node gets "".</param>
    /// <param name="hops">an upgrade's hops (<see cref="UpgradeHops"/>): the node's steps are each hop's steps in turn, each
    /// step carrying its hop's phase, so a pass over one phase's steps (<c>Steps.Where(s => s.Phase == p)</c>) stays easy;
    /// null: one hop to the recipe's version</param>
    public static (List<NodePlan> Nodes, List<string> Problems) Expand(
        RolloutPlan plan, IReadOnlyList<NodeRecord> targets, CatalogDocument? catalog, ClusterView cluster, IReadOnlyDictionary<string, KubeNodeAssignment> kubeNodes,
        IReadOnlyList<Hop>? hops = null)
    {
        string KubeName(NodeRecord n) => kubeNodes.TryGetValue(n.Name, out var a) ? a.KubeNodeName : "";
        var unserved = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var problems = new List<string>();
        var result = new List<NodePlan>();
        var controlPlane = targets
            .Where(n => KubeName(n) is { Length: > 0 } kubeName && cluster.Nodes.TryGetValue(kubeName, out var k) && k.ControlPlane)
            .Select(n => n.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (plan.Recipe is UpgradeAgentRecipe agent)
        {
            if (catalog is null)
            {
                return ([], ["no catalog has been applied yet (fleetctl catalog apply -f FILE)"]);
            }

            foreach (var node in targets)
            {
                if (UpgradeAgentPlanner.Resolve(agent, node, catalog, plan.Strategy.Timeouts, KubeName(node), problems) is { } step)
                {
                    result.Add(new NodePlan(node, KubeName(node), false, [step]) { FromVersion = step.FromVersion, ToVersion = agent.Version });
                }
            }

            return (result, problems);
        }

        foreach (var node in targets)
        {
            var kubeName = KubeName(node);
            var isControlPlane = controlPlane.Contains(node.Name);
            var templates = Templates(plan, cluster, isControlPlane && controlPlane[0] == node.Name, hops);
            var steps = new List<NodeStep>();
            foreach (var template in templates)
            {
                if (template is not NodeStep.Artifact needs)
                {
                    var own = template is NodeStep.WaitReady { Version: null } w && plan.NodeVersions.TryGetValue(node.Name, out var v) ? w with { Version = v } : template;
                    steps.Add(own with { Description = own.Describe(kubeName, node.Facts.Arch) });
                    continue;
                }

                if (catalog is null)
                {
                    problems.Add("no catalog has been applied yet (fleetctl catalog apply -f FILE)");
                    return ([], problems.Distinct().ToList());
                }

                var artifact = CatalogResolver.Resolve(catalog, needs.Component, needs.Version, node.Facts.Arch, out var problem);
                if (artifact is null)
                {
                    (unserved.TryGetValue(problem, out var names) ? names : unserved[problem] = []).Add(node.Name);
                    continue;
                }

                if (needs.Component == ComponentKinds.AgentBinaryComponent)
                {
                    // The running agent's own executable: written by a download step it would bypass the side-by-side
                    // layout, the atomic switch and the watchdog's way back (docs/agent-upgrades.md).
                    problems.Add($"{needs.Component} is the agent's own executable: a {needs.Kind} step never installs it, and no prefetch stages it; upgrade the agent with the upgrade-agent recipe");
                    continue;
                }

                if (artifact.Kind != needs.WantedComponentKind)
                {
                    problems.Add(artifact.Kind == ComponentKinds.Deb
                        ? $"{needs.Component} is the agent's Debian package (kind {ComponentKinds.Deb}): a {needs.Kind} step never installs it, and no prefetch stages it; upgrade the agent with the upgrade-agent recipe"
                        : $"{needs.Component} is a {artifact.Kind} component; a {needs.Kind} step needs a {needs.WantedComponentKind} component");
                    continue;
                }

                steps.Add(needs.Resolved(artifact) with { Description = needs.Describe(kubeName, node.Facts.Arch) });
            }

            var fromVersion = kubeName.Length > 0 && cluster.Nodes.TryGetValue(kubeName, out var kubeNode) ? kubeNode.KubeletVersion : "";
            result.Add(new NodePlan(node, kubeName, isControlPlane, steps) { FromVersion = fromVersion, ToVersion = RolloutVersions.To(plan.Recipe, hops, steps) });
        }

        problems.AddRange(unserved.Select(u => $"{u.Key}: {string.Join(", ", u.Value)}"));
        return (RollbackTail.Apply(plan, PrefetchPlanner.Apply(plan, result)), problems.Distinct().ToList());
    }

    /// <summary>The version a join installs: the plan's, else the control plane's.</summary>
    public static string? JoinVersion(JoinRecipe join, ClusterView cluster) =>
        join.Version ?? (cluster.ServerVersion is { } v && KubeVersion.TryParse(v, out var parsed) ? parsed.ToString() : null);

    private static IEnumerable<NodeStep> Templates(RolloutPlan plan, ClusterView cluster, bool firstControlPlane, IReadOnlyList<Hop>? hops)
    {
        var t = plan.Strategy.Timeouts;
        switch (plan.Recipe)
        {
            case InstallCniRecipe cni:
                yield return new NodeStep.InstallCni { Component = cni.Component, Version = cni.Version, Dest = cni.DestDir, Timeout = t.Download };
                break;
            case JoinRecipe join:
                var version = JoinVersion(join, cluster) ?? "";
                foreach (var binary in (string[])["kubeadm", "kubelet", "kubectl"])
                {
                    yield return Download(binary, version, join.BinDir, t);
                }

                yield return new NodeStep.InstallCni { Component = NodeStep.InstallCni.DefaultComponent, Version = join.CniVersion, Dest = PlanParser.DefaultCniDir, Timeout = t.Download };
                yield return Systemd("daemon-reload", null, t);
                yield return Systemd("enable", PlanParser.KubeletUnit, t);
                yield return new NodeStep.KubeadmJoin { ControlPlaneEndpoint = join.ControlPlaneEndpoint, ControlPlane = join.ControlPlane, Timeout = t.Kubeadm };
                yield return new NodeStep.WaitReady { Version = version, Timeout = t.Ready };
                break;
            case UpgradeRecipe upgrade:
                foreach (var hop in hops is { Count: > 0 } ? hops : [new Hop(1, upgrade.Version)])
                {
                    foreach (var step in UpgradeSteps(hop.Version, upgrade.BinDir, firstControlPlane, firstControlPlane ? upgrade.EtcdSnapshot : null, t))
                    {
                        yield return step with { Phase = hop.Phase };
                    }
                }

                break;
            case StepsRecipe steps:
                foreach (var step in steps.Steps)
                {
                    yield return step;
                }

                break;
        }
    }

    /// <summary>One hop, in kubeadm's documented order: kubeadm first, then `upgrade apply` (first control-plane node) or
    /// `upgrade node`, then drain, kubelet and kubectl, restart kubelet, wait Ready, uncordon. On the first control-plane
    /// node an etcd snapshot comes first (<paramref name="snapshot"/>): before the apply, and before the kubeadm download,
    /// so a snapshot that fails leaves the node exactly as it was.</summary>
    private static IEnumerable<NodeStep> UpgradeSteps(string version, string binDir, bool firstControlPlane, NodeStep.EtcdSnapshot? snapshot, StepTimeouts t)
    {
        if (snapshot is not null)
        {
            yield return snapshot;
        }

        yield return Download("kubeadm", version, binDir, t);
        yield return new NodeStep.KubeadmUpgrade
        {
            UpgradeMode = firstControlPlane ? NodeStep.KubeadmUpgrade.Apply : NodeStep.KubeadmUpgrade.Node,
            Version = version,
            Timeout = t.Kubeadm,
        };
        yield return new NodeStep.Cordon { Timeout = t.Drain };
        yield return new NodeStep.Drain { Timeout = t.Drain };
        yield return Download("kubelet", version, binDir, t);
        yield return Download("kubectl", version, binDir, t);
        yield return Systemd("daemon-reload", null, t);
        yield return Systemd("restart", PlanParser.KubeletUnit, t);
        yield return new NodeStep.WaitReady { Version = version, Timeout = t.Ready };
        yield return new NodeStep.Uncordon { Timeout = t.Drain };
    }

    private static NodeStep.Download Download(string binary, string version, string binDir, StepTimeouts t) => new()
    {
        Component = binary,
        Version = version,
        Dest = $"{binDir.TrimEnd('/')}/{binary}",
        Timeout = t.Download,
    };

    private static NodeStep.Systemd Systemd(string action, string? unit, StepTimeouts t) =>
        new() { SystemdAction = action, Unit = unit, Timeout = t.Systemd };
}

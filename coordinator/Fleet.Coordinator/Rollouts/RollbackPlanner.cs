using Fleet.Coordinator.Kubernetes;
using Fleet.V1;
using YamlDotNet.RepresentationModel;

namespace Fleet.Coordinator.Rollouts;

/// <summary>What `fleetctl rollout rollback ID` would run: the plan, and the nodes it leaves out with the reason.</summary>
public sealed record RollbackPlan(RolloutPlan Plan, IReadOnlyList<string> Refused);

/// <summary>
/// `fleetctl rollout rollback ID`: a NEW rollout that returns the workers a finished rollout upgraded (a replace step of
/// theirs succeeded) to what they had before it. Its plan is a real plan, made from the original's YAML: the same
/// strategy (batches, canary, gates, windows, failure threshold, timeouts) and notifications, strategy.onNodeFailure
/// dropped (a rollback replaces nothing), the workers by name as the target, and these steps: cordon, drain,
/// restore-previous { rollout: ID }, daemon-reload, restart kubelet, wait-kubelet-healthy, wait-ready, uncordon. Each
/// node's wait-ready waits for its version before the original (its from-version there): written into the YAML when
/// every node had the same one, and in any case carried by <see cref="RolloutPlan.NodeVersions"/> into the node's
/// expanded steps, which are stored; a restarted coordinator runs the stored steps and re-reads only the strategy from
/// the YAML, so both give the same rollout. Control-plane nodes are refused (kubeadm does not downgrade a control
/// plane; the etcd snapshot is the way back), and so are nodes the original already rolled back itself.
/// </summary>
public sealed class RollbackPlanner(IRolloutStore store, IKubernetesClusterProvider kubernetes)
{
    public const string ControlPlaneRefusal = "a control-plane node: kubeadm does not downgrade a control plane; restore the etcd snapshot (docs/rollouts.md#restoring-an-etcd-snapshot)";

    /// <summary>The plan; <see cref="RolloutStateException"/> for an unfinished original or nothing to undo, null for an unknown id.</summary>
    public async Task<RollbackPlan?> PlanAsync(string id, CancellationToken ct)
    {
        var original = await store.GetAsync(id, ct);
        if (original is null)
        {
            return null;
        }

        var view = original.View;
        if (!view.State.IsFinished())
        {
            throw new RolloutStateException($"rollout {id} is {view.State.ToName()}: abort it first (fleetctl rollout abort {id}), then roll it back");
        }

        if (original.Nodes.Values.Any(n => n.Steps.Any(s => s is NodeStep.UpgradeAgent)))
        {
            throw new RolloutStateException($"rollout {id} upgraded {Catalog.ComponentKinds.AgentComponent}: `rollout rollback` does not undo that; apply upgrade-agent with the previous version (a node whose new agent did not report already rolled itself back)");
        }

        var replaced = view.Nodes.Where(n => Replaced(original.Nodes[n.Name].Steps, n)).ToList();
        if (replaced.Count == 0)
        {
            throw new RolloutStateException($"rollout {id} has nothing to undo: it replaced no file on any node");
        }

        var controlPlane = await ControlPlaneAsync(replaced.Select(n => original.Nodes[n.Name].KubeNode), ct);
        var refused = new List<string>();
        var workers = new List<RolloutNode>();
        foreach (var node in replaced)
        {
            if (controlPlane.Contains(original.Nodes[node.Name].KubeNode))
            {
                refused.Add($"{node.Name}: {ControlPlaneRefusal}");
            }
            else if (node.State == RolloutNodeState.RolledBack)
            {
                refused.Add($"{node.Name}: already rolled back by {id} itself (strategy.onNodeFailure: rollback)");
            }
            else
            {
                workers.Add(node);
            }
        }

        if (workers.Count == 0)
        {
            throw new RolloutStateException($"rollout {id}: no worker to roll back:\n  {string.Join("\n  ", refused)}");
        }

        var versions = workers.Where(n => n.FromVersion.Length > 0).ToDictionary(n => n.Name, n => n.FromVersion, StringComparer.Ordinal);
        var yaml = Yaml(id, view, workers, versions);
        var (plan, problems) = PlanParser.Parse(yaml);
        if (plan is null)
        {
            // The original's YAML parsed when it was applied and this only replaces its target and steps: a bug if it happens.
            throw new InvalidOperationException($"the rollback plan of {id} does not parse: {string.Join("; ", problems)}");
        }

        return new RollbackPlan(plan with { NodeVersions = versions }, refused);
    }

    /// <summary>A replace step of the node (not of its rollback tail) succeeded: the agent kept what it replaced.</summary>
    public static bool Replaced(IReadOnlyList<NodeStep> steps, RolloutNode node) =>
        steps.Select((s, i) => (s, i)).Any(x => !x.s.OnFailure && RollbackTail.Replaces(x.s) && node.Steps[x.i].State == RolloutStepState.Succeeded);

    private async Task<HashSet<string>> ControlPlaneAsync(IEnumerable<string> kubeNodes, CancellationToken ct)
    {
        var cluster = await kubernetes.GetAsync(ct)
            ?? throw new RolloutStateException("a rollback needs the Kubernetes API (cordon, drain, readiness), and no kubeconfig is configured (fleetctl cluster set --kubeconfig FILE)");
        var wanted = kubeNodes.Where(k => k.Length > 0).ToHashSet(StringComparer.Ordinal);
        try
        {
            return (await cluster.ListNodesAsync(ct)).Where(n => n.ControlPlane && wanted.Contains(n.Name)).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is KubernetesActionException or HttpRequestException or IOException)
        {
            throw new RolloutStateException($"the Kubernetes API server cannot be reached: {ex.Message}");
        }
    }

    /// <summary>The original's YAML with its name, target and recipe replaced, and strategy.onNodeFailure dropped.</summary>
    private static string Yaml(string id, Rollout original, List<RolloutNode> workers, Dictionary<string, string> versions)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(original.PlanYaml));
        var source = (YamlMappingNode)stream.Documents[0].RootNode;
        var root = new YamlMappingNode
        {
            { "name", $"rollback-{id}" },
            { "target", new YamlMappingNode { { "names", new YamlSequenceNode(workers.Select(w => new YamlScalarNode(w.Name))) { Style = YamlDotNet.Core.Events.SequenceStyle.Flow } } } },
        };
        if (source.Children.TryGetValue(new YamlScalarNode("strategy"), out var strategy) && strategy is YamlMappingNode s)
        {
            s.Children.Remove(new YamlScalarNode("onNodeFailure"));
            root.Add("strategy", s);
        }

        if (source.Children.TryGetValue(new YamlScalarNode("notifications"), out var notifications))
        {
            root.Add("notifications", notifications);
        }

        var sameVersion = versions.Count == workers.Count && versions.Values.Distinct(StringComparer.Ordinal).Count() == 1 ? versions.Values.First() : null;
        root.Add("steps", new YamlSequenceNode(
            Step(StepKinds.Cordon),
            Step(StepKinds.Drain),
            Step(StepKinds.RestorePrevious, ("rollout", id)),
            Step(StepKinds.Systemd, ("action", "daemon-reload")),
            Step(StepKinds.Systemd, ("action", "restart"), ("unit", PlanParser.KubeletUnit)),
            Step(StepKinds.WaitKubeletHealthy),
            sameVersion is null ? Step(StepKinds.WaitReady) : Step(StepKinds.WaitReady, ("version", sameVersion)),
            Step(StepKinds.Uncordon)));
        var header = $"# fleetctl rollout rollback {id}: puts back on each worker what {id} replaced.\n"
            + (sameVersion is null && versions.Count > 0 ? $"# wait-ready, per node (stored with each node's steps): {string.Join(", ", versions.Select(v => $"{v.Key} {v.Value}"))}\n" : "");
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        return header + writer.ToString().Replace("\n...\n", "\n", StringComparison.Ordinal);
    }

    private static YamlMappingNode Step(string kind, params (string Key, string Value)[] members)
    {
        var body = new YamlMappingNode { Style = YamlDotNet.Core.Events.MappingStyle.Flow };
        foreach (var (key, value) in members)
        {
            body.Add(key, value);
        }

        return new YamlMappingNode { { kind, body } };
    }
}

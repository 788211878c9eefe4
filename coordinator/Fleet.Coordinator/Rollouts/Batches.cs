namespace Fleet.Coordinator.Rollouts;

/// <summary>A group of nodes run together; <see cref="Parallelism"/> of them at once (all of them for a fixed batch).</summary>
public sealed record Batch(int Number, IReadOnlyList<string> Nodes, int Parallelism)
{
    /// <summary>The phase (1-based) whose steps this batch runs on its nodes: a multi-hop upgrade has one phase per
    /// hop (<see cref="UpgradeHops"/>); everything else has one. Stored as JSON: a rollout stored before phases reads 1.</summary>
    public int Phase { get; init; } = 1;

    /// <summary>The phase's hop version when the rollout has several phases, else "".</summary>
    public string Version { get; init; } = "";

    /// <summary>Why the phase's hop is not the newest patch of its minor (<see cref="Hop.Note"/>), else "".</summary>
    public string PhaseNote { get; init; } = "";
}

/// <summary>
/// Splits the targeted nodes into batches: control-plane nodes first, one at a time (kubeadm's order);
/// then a canary batch of the first N workers; then fixed batches of batchSize, or one sliding window of
/// maxUnavailable. Node order is by name, so a plan gives the same batches every time.
/// </summary>
public static class Batches
{
    /// <summary>The batches of every phase in turn (each phase's batches as <see cref="Plan(IReadOnlyList{NodePlan}, RolloutStrategy)"/>
    /// makes them, control plane first), numbered on across phases; a phase's batches carry its hop's version when
    /// there is more than one hop. A gate between batches thus also runs between phases.</summary>
    public static List<Batch> Plan(IReadOnlyList<NodePlan> nodes, RolloutStrategy strategy, IReadOnlyList<Hop> hops)
    {
        if (hops.Count <= 1)
        {
            return Plan(nodes, strategy);
        }

        var batches = new List<Batch>();
        foreach (var hop in hops)
        {
            var offset = batches.Count;
            batches.AddRange(Plan(nodes, strategy).Select(b => b with { Number = offset + b.Number, Phase = hop.Phase, Version = hop.Version, PhaseNote = hop.Note }));
        }

        return batches;
    }

    /// <summary>Each node's first batch (a node is in one batch per phase).</summary>
    public static Dictionary<string, int> FirstOf(IEnumerable<Batch> batches)
    {
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var batch in batches)
        {
            foreach (var node in batch.Nodes)
            {
                first.TryAdd(node, batch.Number);
            }
        }

        return first;
    }

    public static List<Batch> Plan(IReadOnlyList<NodePlan> nodes, RolloutStrategy strategy)
    {
        var batches = new List<Batch>();
        var total = nodes.Count;
        foreach (var cp in nodes.Where(n => n.ControlPlane).OrderBy(n => n.Node.Name, StringComparer.Ordinal))
        {
            batches.Add(new Batch(batches.Count + 1, [cp.Node.Name], 1));
        }

        var rest = nodes.Where(n => !n.ControlPlane).Select(n => n.Node.Name).Order(StringComparer.Ordinal).ToList();
        if (strategy.Canary > 0 && rest.Count > 0)
        {
            var canary = rest.Take(strategy.Canary).ToList();
            batches.Add(new Batch(batches.Count + 1, canary, canary.Count));
            rest = rest.Skip(canary.Count).ToList();
        }

        if (rest.Count == 0)
        {
            return batches;
        }

        if (strategy.MaxUnavailable is { } window)
        {
            batches.Add(new Batch(batches.Count + 1, rest, Math.Min(window.Of(total), rest.Count)));
            return batches;
        }

        var size = strategy.BatchSize.Of(total);
        foreach (var chunk in rest.Chunk(size))
        {
            batches.Add(new Batch(batches.Count + 1, chunk, chunk.Length));
        }

        return batches;
    }
}

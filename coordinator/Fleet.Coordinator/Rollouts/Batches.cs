namespace Fleet.Coordinator.Rollouts;

/// <summary>A group of nodes run together; <see cref="Parallelism"/> of them at once (all of them for a fixed batch).</summary>
public sealed record Batch(int Number, IReadOnlyList<string> Nodes, int Parallelism);

/// <summary>
/// Splits the targeted nodes into batches: control-plane nodes first, one at a time (kubeadm's order);
/// then a canary batch of the first N workers; then fixed batches of batchSize, or one sliding window of
/// maxUnavailable. Node order is by name, so a plan gives the same batches every time.
/// </summary>
public static class Batches
{
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

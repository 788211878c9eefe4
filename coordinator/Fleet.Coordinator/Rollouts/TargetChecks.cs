using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Nodes;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// Whether the nodes a rollout or a `fleetctl run` targets may be sent steps now: connected, approved,
/// and not held by a rollout that has not finished (a step of its own would interleave with that
/// rollout's). One rule for both callers; each problem names its nodes.
/// </summary>
public sealed class TargetChecks(AgentRegistry registry, IRolloutStore rollouts)
{
    public async Task<List<string>> ProblemsAsync(IReadOnlyList<NodeRecord> targets, CancellationToken ct)
    {
        var problems = new List<string>();
        Group(problems, "not connected", targets.Where(n => !registry.IsConnected(n.Id)));
        Group(problems, "awaiting approval (fleetctl nodes approve NAME)", targets.Where(n => registry.Find(n.Id) is { Approved: false }));
        var holds = await rollouts.HoldsAsync(ct);
        foreach (var held in targets.Where(n => holds.ContainsKey(n.Name)).GroupBy(n => holds[n.Name]))
        {
            problems.Add($"held by rollout {held.Key}, which has not finished: {string.Join(", ", held.Select(n => n.Name))}");
        }

        return problems;
    }

    public bool IsConnected(NodeRecord node) => registry.IsConnected(node.Id);

    /// <summary>One problem line naming every node it applies to (by name, or as <paramref name="describe"/> says), or none.</summary>
    internal static void Group(List<string> problems, string what, IEnumerable<NodeRecord> nodes, Func<NodeRecord, string>? describe = null)
    {
        var names = nodes.Select(describe ?? (n => n.Name)).ToList();
        if (names.Count > 0)
        {
            problems.Add($"{what}: {string.Join(", ", names)}");
        }
    }
}

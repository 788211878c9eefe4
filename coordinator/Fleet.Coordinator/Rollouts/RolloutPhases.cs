using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// The phases of a rollout (a multi-hop upgrade has one per hop; everything else has one): which steps of a node
/// belong to which phase, whether a node still has work in a phase, and the phases as a view shows them. A node
/// between two phases is neither pending nor finished: it stays running until its last phase is done.
/// </summary>
public static class RolloutPhases
{
    /// <summary>The node's last phase (1 when its steps know no other).</summary>
    public static int Last(RolloutNode node) => node.Steps.Count == 0 ? 1 : node.Steps.Max(s => Math.Max(1, s.Phase));

    /// <summary>Phase 0 (a view stored before phases) is phase 1.</summary>
    public static bool In(RolloutStep step, int phase) => Math.Max(1, step.Phase) == phase;

    /// <summary>The node has work in <paramref name="phase"/>: a step of it not succeeded yet, or, in its last phase, its own
    /// success still to record (a coordinator stopped between its last step and that).</summary>
    public static bool NeedsRun(RolloutNode node, int phase) =>
        !node.State.IsFinished() && (phase == Last(node) || node.Steps.Any(s => In(s, phase) && s.State != RolloutStepState.Succeeded));

    /// <summary>The node has begun <paramref name="phase"/>: a step of it has run (or is running). A node between two
    /// phases has not begun the next one, so it waits for a maintenance window like a pending node.</summary>
    public static bool Begun(RolloutNode node, int phase) =>
        node.Steps.Any(s => In(s, phase) && s.State != RolloutStepState.Pending);

    /// <summary>The nodes that have not finished every phase before <paramref name="phase"/> (a failed node among them):
    /// a phase starts only when the previous one has finished on every node.</summary>
    public static List<RolloutNode> Behind(Rollout view, int phase) =>
        view.Nodes.Where(n => n.Steps.Any(s => Math.Max(1, s.Phase) < phase && s.State != RolloutStepState.Succeeded)).ToList();

    /// <summary>The phases of a view, from its batches; none unless there are several (a one-hop rollout reads as before).</summary>
    public static void Fill(Rollout view, IReadOnlyList<Batch> batches)
    {
        view.Phases.Clear();
        foreach (var phase in batches.Where(b => b.Version.Length > 0).GroupBy(b => b.Phase).OrderBy(g => g.Key))
        {
            view.Phases.Add(new RolloutPhase
            {
                Number = phase.Key,
                Version = phase.First().Version,
                FirstBatch = phase.Min(b => b.Number),
                LastBatch = phase.Max(b => b.Number),
                Note = phase.First().PhaseNote,
            });
        }
    }

    /// <summary>The phase of batch <paramref name="number"/> (0 before the first).</summary>
    public static int Of(IReadOnlyList<Batch> batches, int number) => batches.FirstOrDefault(b => b.Number == number)?.Phase ?? 0;
}

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// The version a rollout moves a node to (RolloutNode.to_version), shown beside its from-version ("v1.11.3 → v1.12.5",
/// "0.9.0 → 0.9.1"): the upgrade-agent recipe's version; an upgrade-kubernetes recipe's last phase's version; otherwise the
/// version the node's last wait-ready step waits for (a join, a plan's steps, `rollout rollback`); "" when there is none.
/// </summary>
public static class RolloutVersions
{
    /// <param name="hops">an upgrade's hops (<see cref="UpgradeHops"/>); null or empty: one hop to the recipe's version</param>
    public static string To(Recipe recipe, IReadOnlyList<Hop>? hops, IReadOnlyList<NodeStep> steps) => recipe switch
    {
        UpgradeAgentRecipe agent => agent.Version,
        UpgradeRecipe upgrade => hops is { Count: > 0 } ? hops[^1].Version : upgrade.Version,
        _ => OfSteps(steps),
    };

    /// <summary>The version the last wait-ready step of a normal pass waits for (a rollback tail's is the way back, not the
    /// target); "" without one. Also what a node stored before to_version existed reads.</summary>
    public static string OfSteps(IEnumerable<NodeStep> steps) =>
        steps.LastOrDefault(s => s is NodeStep.WaitReady { Version.Length: > 0 } && !s.OnFailure) is NodeStep.WaitReady w ? w.Version! : "";
}

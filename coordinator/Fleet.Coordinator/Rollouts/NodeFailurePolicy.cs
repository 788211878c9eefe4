namespace Fleet.Coordinator.Rollouts;

/// <summary>strategy.onNodeFailure: what happens to a worker that fails after Fleet replaced some of its files.</summary>
public enum OnNodeFailure
{
    /// <summary>The node is failed, as it stands (the default).</summary>
    Fail,

    /// <summary>A worker that fails after a replace runs its rollback tail (<see cref="RollbackTail"/>) and ends rolled-back.</summary>
    Rollback,
}

/// <summary>Parses strategy.onNodeFailure and checks that a plan asking for rollback has something to roll back.</summary>
public static class NodeFailurePolicy
{
    public const string Fail = "fail";
    public const string Rollback = "rollback";

    public static string ToName(this OnNodeFailure value) => value == OnNodeFailure.Rollback ? Rollback : Fail;

    /// <summary>The policy; a problem by path for anything but fail or rollback, and for rollback in a plan that replaces nothing.</summary>
    public static OnNodeFailure Parse(string? text, Recipe? recipe, List<string> problems)
    {
        var policy = text switch
        {
            null or Fail => OnNodeFailure.Fail,
            Rollback => OnNodeFailure.Rollback,
            _ => Problem(problems, $"strategy.onNodeFailure: \"{text}\" is not {Fail} or {Rollback}"),
        };
        if (policy == OnNodeFailure.Rollback && recipe is StepsRecipe steps && !steps.Steps.Any(RollbackTail.Replaces))
        {
            problems.Add("strategy.onNodeFailure: rollback needs a step that replaces files (download or install-cni); these steps replace nothing, so there is nothing to roll back");
        }

        if (policy == OnNodeFailure.Rollback && recipe is UpgradeAgentRecipe)
        {
            problems.Add("strategy.onNodeFailure: rollback does not apply to upgrade-agent: the agent rolls itself back (the node's watchdog puts the previous package back when the new agent does not report within the deadline); leave it out");
        }

        return policy;
    }

    private static OnNodeFailure Problem(List<string> problems, string problem)
    {
        problems.Add(problem);
        return OnNodeFailure.Fail;
    }
}

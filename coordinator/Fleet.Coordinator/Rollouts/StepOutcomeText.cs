using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// The outcome of one rollout step as stored (succeeded or not, and a reason). An agent's result keeps its
/// "already satisfied" and "answered from the journal" in the reason's words, which <see cref="ToResult"/>
/// reads back for `fleetctl run`: both directions are here, so the words cannot drift apart.
/// </summary>
public sealed record StepOutcomeText(bool Succeeded, string Reason)
{
    /// <summary>Failed, and the node put itself back to what it ran before (StepResult.rolled_back: upgrade-agent's
    /// watchdog); the reason says why. The node ends rolled-back, not failed.</summary>
    public bool RolledBack { get; init; }

    private const string AlreadySatisfied = "already satisfied: ";
    private const string FromJournal = " (answered from the node's journal)";

    public static StepOutcomeText From(StepResult result)
    {
        var reason = result.Reason + (result.FromJournal ? FromJournal : "");
        return result.Outcome switch
        {
            StepOutcome.Succeeded => new(true, reason),
            StepOutcome.AlreadySatisfied => new(true, AlreadySatisfied + reason),
            _ => new(false, reason.Length > 0 ? reason : "failed without a reason") { RolledBack = result.RolledBack },
        };
    }

    /// <summary>A stored step's state and reason as the agent's result it came from.</summary>
    public static StepResult ToResult(string stepId, RolloutStepState state, string reason)
    {
        var result = new StepResult { Id = stepId, Outcome = state == RolloutStepState.Succeeded ? StepOutcome.Succeeded : StepOutcome.Failed };
        if (reason.EndsWith(FromJournal, StringComparison.Ordinal))
        {
            result.FromJournal = true;
            reason = reason[..^FromJournal.Length];
        }

        if (state == RolloutStepState.Succeeded && reason.StartsWith(AlreadySatisfied, StringComparison.Ordinal))
        {
            result.Outcome = StepOutcome.AlreadySatisfied;
            reason = reason[AlreadySatisfied.Length..];
        }

        result.Reason = reason;
        return result;
    }
}

using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>Runs one kind of step. Idempotent: a step whose effect is already in place says so.</summary>
public interface IStepHandler
{
    StepRequest.StepOneofCase Kind { get; }

    /// <summary>Succeeded or AlreadySatisfied with a reason; throws <see cref="StepFailedException"/> on failure.</summary>
    Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct);
}

internal static class Results
{
    public static StepResult Succeeded(string id, string reason) => new() { Id = id, Outcome = StepOutcome.Succeeded, Reason = reason };

    public static StepResult AlreadySatisfied(string id, string reason) => new() { Id = id, Outcome = StepOutcome.AlreadySatisfied, Reason = reason };

    public static StepResult Failed(string id, string reason) => new() { Id = id, Outcome = StepOutcome.Failed, Reason = reason };

    /// <summary>Failed, and the node was returned to what it ran before (an agent upgrade the watchdog rolled back).</summary>
    public static StepResult RolledBack(string id, string reason) => new() { Id = id, Outcome = StepOutcome.Failed, Reason = reason, RolledBack = true };
}

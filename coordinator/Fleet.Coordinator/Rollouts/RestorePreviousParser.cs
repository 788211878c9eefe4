using System.Text.RegularExpressions;

namespace Fleet.Coordinator.Rollouts;

/// <summary>A plan's `- restore-previous: { rollout: r3 }` step (rollout optional: empty means this rollout).</summary>
public static partial class RestorePreviousParser
{
    public const string IdRule = "a rollout id like r3";

    /// <summary>A rollout id as the store makes them: "r" and a number.</summary>
    public static bool IsRolloutId(string text) => RolloutId().IsMatch(text);

    public static NodeStep.RestorePrevious Parse(string at, RestorePreviousDocument doc, StepTimeouts timeouts, List<string> problems)
    {
        var rollout = doc.Rollout ?? "";
        if (rollout.Length > 0 && !IsRolloutId(rollout))
        {
            problems.Add($"{at}.rollout: \"{rollout}\" is not {IdRule} (leave it out for this rollout)");
            rollout = "";
        }

        // Renames of kept copies after a sha256 check: bounded like a download, the longest file step there is.
        return new NodeStep.RestorePrevious { Rollout = rollout, Timeout = timeouts.Download };
    }

    [GeneratedRegex(@"^r[1-9][0-9]{0,9}\z")]
    private static partial Regex RolloutId();
}

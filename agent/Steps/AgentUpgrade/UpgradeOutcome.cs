using System.Globalization;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>What the watchdog ended with, for the step it names.</summary>
public enum UpgradeResult
{
    /// <summary>The new agent connected and reported its version within the deadline.</summary>
    Confirmed,

    /// <summary>The previous package is installed again; the reason says why.</summary>
    RolledBack,

    /// <summary>Neither package could be installed; the reason holds both failures.</summary>
    Failed,
}

/// <summary>
/// STATE_DIR/agent-upgrade/outcome, written atomically by the watchdog (temp + mv) for the agent that
/// runs afterwards: step, from, to, result (confirmed | rolled-back | failed), reason, and for
/// confirmed the seconds it took.
/// </summary>
public sealed record UpgradeOutcome(string Step, string From, string To, UpgradeResult Result, string Reason, int? Seconds)
{
    private static readonly string[] Keys = ["step", "rollout", "from", "to", "result", "reason", "seconds"];

    /// <summary>Parsed and checked: throws <see cref="InvalidDataException"/> naming the bad value.</summary>
    public static UpgradeOutcome Parse(string text)
    {
        var v = KeyValueRecord.Parse(text, Keys);
        var result = KeyValueRecord.Required(v, "result") switch
        {
            "confirmed" => UpgradeResult.Confirmed,
            "rolled-back" => UpgradeResult.RolledBack,
            "failed" => UpgradeResult.Failed,
            var other => throw new InvalidDataException($"result: {AgentVersionText.Show(other)} is not confirmed, rolled-back or failed"),
        };
        int? seconds = null;
        if (v.TryGetValue("seconds", out var s))
        {
            seconds = int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new InvalidDataException($"seconds: {AgentVersionText.Show(s)} is not a number");
        }

        var reason = v.GetValueOrDefault("reason", "");
        if (result != UpgradeResult.Confirmed && reason.Length == 0)
        {
            throw new InvalidDataException("reason is missing");
        }

        return new UpgradeOutcome(PendingUpgrade.Id(v, "step"), PendingUpgrade.Version(v, "from"), PendingUpgrade.Version(v, "to"), result, reason.Length > 2000 ? reason[..2000] + "…" : reason, seconds);
    }

    /// <summary>As the watchdog writes it (the tests' and a reference for the script's format).</summary>
    public string Format()
    {
        List<(string, string)> values = [("step", Step), ("from", From), ("to", To), ("result", Result switch { UpgradeResult.Confirmed => "confirmed", UpgradeResult.RolledBack => "rolled-back", _ => "failed" })];
        if (Seconds is { } seconds)
        {
            values.Add(("seconds", seconds.ToString(CultureInfo.InvariantCulture)));
        }

        values.Add(("reason", Reason));
        return KeyValueRecord.Format(values);
    }
}

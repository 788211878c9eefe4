using Fleet.Coordinator.Catalog;

namespace Fleet.Coordinator.Rollouts;

/// <summary>`recipe: { upgrade-agent: { version: "0.9.1", deadline: 2m } }` in a plan.</summary>
public sealed class UpgradeAgentDocument
{
    /// <summary>The fleet-agent package version to install, X.Y.Z.</summary>
    public string? Version { get; set; }

    /// <summary>How long the new agent has to start, connect and report its version before the node's watchdog puts the
    /// previous package back; Fleet's duration syntax, default 2m, 1s to 1h.</summary>
    public string? Deadline { get; set; }
}

/// <summary>Reads the upgrade-agent recipe, every problem by its path (docs/agent-upgrades.md).</summary>
public static class UpgradeAgentParser
{
    public const string At = "recipe.upgrade-agent";

    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan MinDeadline = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDeadline = TimeSpan.FromHours(1);

    public static UpgradeAgentRecipe Parse(UpgradeAgentDocument doc, List<string> problems)
    {
        var version = doc.Version?.Trim() ?? "";
        if (version.Length == 0)
        {
            problems.Add($"{At}.version: missing (the fleet-agent version to install, such as 0.9.1)");
        }
        else if (!AgentPackageVersion.IsValid(version))
        {
            problems.Add($"{At}.version: \"{doc.Version}\" is not a fleet-agent version such as 0.9.1 (X.Y.Z, no v)");
        }

        return new UpgradeAgentRecipe(version, Deadline(doc.Deadline, problems));
    }

    private static TimeSpan Deadline(string? text, List<string> problems)
    {
        if (text is null)
        {
            return DefaultDeadline;
        }

        if (DurationText.Problem(text, out var deadline) is { } problem)
        {
            problems.Add($"{At}.deadline: {problem}");
            return DefaultDeadline;
        }

        if (deadline < MinDeadline || deadline > MaxDeadline)
        {
            problems.Add($"{At}.deadline: \"{text}\" is outside 1s to 1h (the time the new agent has to start, connect and report its version)");
            return DefaultDeadline;
        }

        return deadline;
    }
}

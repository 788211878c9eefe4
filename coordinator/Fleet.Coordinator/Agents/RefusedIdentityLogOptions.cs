namespace Fleet.Coordinator.Agents;

/// <summary>How often a refused client certificate is logged: a removed node's agent that keeps calling must not fill the log.</summary>
public sealed class RefusedIdentityLogOptions
{
    /// <summary>A certificate refused for the same node (or the same subject) is logged at most once per interval; the next line counts the refusals in between.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How many nodes the log remembers; past it the one logged longest ago is forgotten, so a flood of distinct certificates cannot grow it.</summary>
    public int MaxRemembered { get; set; } = 10_000;
}

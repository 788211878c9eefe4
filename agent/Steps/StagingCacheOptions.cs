namespace Fleet.Agent.Steps;

/// <summary>Settings of the agent's staging cache (<see cref="StagingCache"/>).</summary>
public sealed class StagingCacheOptions
{
    /// <summary>
    /// Entries older than this are removed when the agent starts. A prefetch is followed at once by
    /// the steps that install its artifacts, so an older entry belongs to a rollout that ended early.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(24);
}

using Fleet.V1;

namespace Fleet.Agent.Health;

/// <summary>One health check of the node, read from a real source; "unknown" when there is no evidence.</summary>
public interface INodeHealthCheck
{
    string Name { get; }

    Task<HealthCheck> CheckAsync(CancellationToken ct);
}

internal static class Check
{
    public static HealthCheck Of(string name, HealthStatus status, string reason) => new() { Name = name, Status = status, Reason = reason };

    public static HealthCheck Ok(string name, string reason) => Of(name, HealthStatus.Ok, reason);

    public static HealthCheck Warning(string name, string reason) => Of(name, HealthStatus.Warning, reason);

    public static HealthCheck Failing(string name, string reason) => Of(name, HealthStatus.Failing, reason);

    public static HealthCheck Unknown(string name, string reason) => Of(name, HealthStatus.Unknown, reason);

    /// <summary>ok at or above <paramref name="warnBelow"/>, warning down to <paramref name="failBelow"/>, failing under it.</summary>
    public static HealthCheck ByFraction(string name, double fraction, double warnBelow, double failBelow, string reason) =>
        fraction < failBelow ? Failing(name, reason)
        : fraction < warnBelow ? Warning(name, reason)
        : Ok(name, reason);
}

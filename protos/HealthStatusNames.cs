namespace Fleet.V1;

public static class HealthStatusNames
{
    public static string ToName(this HealthStatus status) => status switch
    {
        HealthStatus.Ok => "ok",
        HealthStatus.Warning => "warning",
        HealthStatus.Failing => "failing",
        HealthStatus.Unknown => "unknown",
        _ => "unspecified",
    };

    /// <summary>Severity order used to pick the worst check: ok &lt; unknown &lt; warning &lt; failing.</summary>
    public static int Severity(this HealthStatus status) => status switch
    {
        HealthStatus.Ok => 0,
        HealthStatus.Unknown => 1,
        HealthStatus.Warning => 2,
        HealthStatus.Failing => 3,
        _ => 1,
    };

    /// <summary>The worst status of a sample; <see cref="HealthStatus.Unknown"/> when there is no check at all.</summary>
    public static HealthStatus Worst(this HealthSample? sample)
    {
        if (sample is null || sample.Checks.Count == 0)
        {
            return HealthStatus.Unknown;
        }

        return sample.Checks.Select(c => c.Status).MaxBy(Severity);
    }
}

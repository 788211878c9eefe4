namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>How the coordinator checks gates: the bounds on what it fetches from the URLs a plan names.</summary>
public sealed class GateOptions
{
    /// <summary>Each request (connect, headers and body) ends after this long; the gate fails with "no answer".</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The most of a Prometheus answer read; a longer answer fails the gate.</summary>
    public int MaxPrometheusBodyBytes { get; init; } = 1 << 20;

    /// <summary>How often a prometheus gate evaluates its query while it holds it for its `for`.</summary>
    public TimeSpan PrometheusInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>At most this many series are named in a failed gate's reason (the count is always given).</summary>
    public int MaxSeriesInReason { get; init; } = 3;
}

namespace Fleet.Bench.Load;

/// <summary>Order statistics over measured values (nearest rank).</summary>
internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>"p50 12 ms, p99 80 ms, max 95 ms (n = 1000)".</summary>
    public static string Summary(IEnumerable<double> values, string unit = "ms")
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0
            ? "no values"
            : $"p50 {Percentile(sorted, 50):0} {unit}, p99 {Percentile(sorted, 99):0} {unit}, max {sorted[^1]:0} {unit} (n = {sorted.Count})";
    }
}

namespace Fleet.Ctl.Output;

internal static class Ago
{
    /// <summary>kubectl-style age: 45s, 12m, 3h, 2d.</summary>
    public static string Format(TimeSpan elapsed) => elapsed switch
    {
        { TotalSeconds: < 0 } => "0s",
        { TotalMinutes: < 2 } => $"{(int)elapsed.TotalSeconds}s",
        { TotalHours: < 2 } => $"{(int)elapsed.TotalMinutes}m",
        { TotalDays: < 2 } => $"{(int)elapsed.TotalHours}h",
        _ => $"{(int)elapsed.TotalDays}d",
    };
}

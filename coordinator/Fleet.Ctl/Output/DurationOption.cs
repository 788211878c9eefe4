namespace Fleet.Ctl.Output;

/// <summary>A duration flag's value through Fleet's one duration syntax (<see cref="DurationText"/>); a bad one is a usage error naming the flag.</summary>
internal static class DurationOption
{
    public static TimeSpan Parse(string flag, string text) =>
        DurationText.Problem(text, out var value) is { } problem ? throw new UsageException($"{flag}: {problem}") : value;
}

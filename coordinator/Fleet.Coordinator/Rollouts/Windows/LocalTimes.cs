namespace Fleet.Coordinator.Rollouts.Windows;

/// <summary>
/// A zone's local wall-clock time as real instants, the way maintenance windows read them. A local time that
/// occurs twice (the clock falls back) has a first and a last instant; a local time that does not exist (the
/// clock springs forward over it) stands for the instant of the change, the first moment after it that exists.
/// </summary>
public static class LocalTimes
{
    /// <summary>The longest stretch of local time a zone has ever skipped (Pacific/Apia skipped a whole day in 2011), with a margin.</summary>
    private static readonly TimeSpan LongestGap = TimeSpan.FromHours(48);

    /// <summary>The first instant at which the zone's clocks show <paramref name="local"/> (or the change that skips it).</summary>
    public static DateTimeOffset First(TimeZoneInfo zone, DateTime local) => At(zone, local, last: false);

    /// <summary>The last instant at which the zone's clocks show <paramref name="local"/> (or the change that skips it).</summary>
    public static DateTimeOffset Last(TimeZoneInfo zone, DateTime local) => At(zone, local, last: true);

    private static DateTimeOffset At(TimeZoneInfo zone, DateTime local, bool last)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            return GapEnd(zone, local);
        }

        if (zone.IsAmbiguousTime(local))
        {
            // The larger offset is the earlier instant (summer time, before the clock falls back).
            var offsets = zone.GetAmbiguousTimeOffsets(local);
            return new DateTimeOffset(local, last ? offsets.Min() : offsets.Max());
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>The instant the clock jumped over <paramref name="local"/>: the first local minute after it that exists.</summary>
    private static DateTimeOffset GapEnd(TimeZoneInfo zone, DateTime local)
    {
        var minute = new DateTime(local.Ticks - (local.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Unspecified);
        for (var t = minute.AddMinutes(1); t - local <= LongestGap; t = t.AddMinutes(1))
        {
            if (!zone.IsInvalidTime(t))
            {
                return At(zone, t, last: false);
            }
        }

        throw new InvalidOperationException($"{zone.Id}: the local time {local:yyyy-MM-dd HH:mm} does not exist and no time within {LongestGap.TotalHours} h after it does");
    }
}

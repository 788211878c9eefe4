using System.Globalization;

namespace Fleet.Coordinator.Rollouts.Windows;

/// <summary>
/// One maintenance window of a plan (<c>strategy.windows</c>, docs/rollouts.md): on each of <see cref="Days"/>, from
/// <see cref="StartMinute"/> to <see cref="EndMinute"/> (minutes after local midnight) in <see cref="Zone"/>. An end at
/// or before the start crosses midnight: the window belongs to the day it starts on. Parsed by <see cref="MaintenanceWindowParser"/>.
/// </summary>
public sealed record MaintenanceWindow(string Text, IReadOnlySet<DayOfWeek> Days, int StartMinute, int EndMinute, TimeZoneInfo Zone)
{
    /// <summary>24:00, allowed as an end only.</summary>
    public const int EndOfDay = 24 * 60;

    public bool CrossesMidnight => EndMinute <= StartMinute;

    /// <summary>
    /// The window's occurrence that starts on the local <paramref name="date"/>, as real instants [Start, End): from the
    /// first instant the zone's clocks show the start to the last instant they show the end. When the clock falls back
    /// inside it, the window covers both passes over the repeated local times (and is longer in real time); when the
    /// clock springs forward, a start or end that does not exist becomes the instant of the change, so the window runs
    /// over the local times that exist (and is shorter). An occurrence wholly inside the skipped hour is empty: null.
    /// </summary>
    public (DateTimeOffset Start, DateTimeOffset End)? Occurrence(DateOnly date)
    {
        if (!Days.Contains(date.DayOfWeek))
        {
            return null;
        }

        var midnight = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        var start = LocalTimes.First(Zone, midnight.AddMinutes(StartMinute));
        var end = LocalTimes.Last(Zone, midnight.AddMinutes(CrossesMidnight ? EndOfDay + EndMinute : EndMinute));
        return end > start ? (start, end) : null;
    }

    /// <summary>The local date (in <see cref="Zone"/>) that <paramref name="instant"/> falls on.</summary>
    public DateOnly LocalDate(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    /// <summary>"Sat 2026-12-05 02:00 Europe/Berlin": an instant as the window's zone shows it.</summary>
    public string Describe(DateTimeOffset instant) =>
        $"{TimeZoneInfo.ConvertTime(instant, Zone).ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} {Zone.Id}";

    public override string ToString() => Text;
}

using System.Globalization;
using Fleet.Coordinator.Rollouts.Windows;

namespace Fleet.Coordinator.Tests.Rollouts.Windows;

/// <summary>
/// When windows are open and when the next one opens: across midnight, the end of the week and of the year, the
/// changes of the clocks in Europe/Berlin, America/New_York and Australia/Adelaide (half-hour offset), and Asia/Kolkata.
/// Instants are written in UTC; the comments say what the zone's clocks show.
/// </summary>
public class WindowScheduleTests
{
    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static MaintenanceWindow[] Windows(params string[] texts)
    {
        var problems = new List<string>();
        var windows = MaintenanceWindowParser.ParseAll("w", [.. texts], problems);
        Assert.True(problems.Count == 0, string.Join("; ", problems));
        return [.. windows];
    }

    private static bool IsOpen(string window, string utc) => WindowSchedule.OpenAt(Windows(window), Utc(utc)) is not null;

    private static string Next(string window, string utc)
    {
        var (at, w) = WindowSchedule.NextOpening(Windows(window), Utc(utc));
        return $"{at.UtcDateTime:yyyy-MM-ddTHH:mm}Z = {w.Describe(at)}";
    }

    [Fact]
    public void Next_IsInTheWindowsZone_AsRolloutGetShowsIt()
    {
        // Wednesday noon UTC; Saturday 02:00 in Berlin (CET, +01:00) is Friday 01:00 UTC.
        Assert.Equal("2026-12-05T01:00Z = Sat 2026-12-05 02:00 Europe/Berlin", Next("Sat 02:00-06:00 Europe/Berlin", "2026-12-02T12:00"));
        Assert.False(IsOpen("Sat 02:00-06:00 Europe/Berlin", "2026-12-05T00:59"));
        Assert.True(IsOpen("Sat 02:00-06:00 Europe/Berlin", "2026-12-05T01:00"));
        Assert.True(IsOpen("Sat 02:00-06:00 Europe/Berlin", "2026-12-05T04:59"));
        Assert.False(IsOpen("Sat 02:00-06:00 Europe/Berlin", "2026-12-05T05:00")); // the end is not in the window
    }

    [Fact]
    public void AWindowThatCrossesMidnight_BelongsToTheDayItStarts()
    {
        const string window = "Mon-Fri 22:00-02:00 UTC";
        Assert.True(IsOpen(window, "2026-12-05T01:59"));   // Saturday night: Friday's window
        Assert.False(IsOpen(window, "2026-12-05T22:30"));  // Saturday 22:30: not a window day
        Assert.False(IsOpen(window, "2026-12-07T01:00"));  // Monday 01:00 would be Sunday's window
        Assert.True(IsOpen(window, "2026-12-07T22:00"));
        Assert.True(IsOpen(window, "2026-12-08T00:30"));   // Tuesday 00:30: Monday's
        Assert.Equal("2026-12-07T22:00Z = Mon 2026-12-07 22:00 UTC", Next(window, "2026-12-05T02:00"));
    }

    [Fact]
    public void TheWeekWraps_SundayNightIntoMonday_AndAWholeWeekend()
    {
        Assert.True(IsOpen("Sun 23:00-01:00 UTC", "2026-11-30T00:30")); // Monday 00:30
        Assert.Equal("2026-12-06T23:00Z = Sun 2026-12-06 23:00 UTC", Next("Sun 23:00-01:00 UTC", "2026-11-30T01:00"));
        Assert.Equal("2026-12-06T23:00Z = Sun 2026-12-06 18:00 America/New_York", Next("Sun 18:00-24:00 America/New_York", "2026-11-30T00:00"));

        // Sat,Sun 00:00-24:00 in New York (EST, -05:00): Saturday 05:00 UTC to Monday 05:00 UTC.
        const string weekend = "Sat,Sun 00:00-24:00 America/New_York";
        Assert.False(IsOpen(weekend, "2026-12-05T04:59"));
        Assert.True(IsOpen(weekend, "2026-12-05T05:00"));
        Assert.True(IsOpen(weekend, "2026-12-07T04:59"));
        Assert.False(IsOpen(weekend, "2026-12-07T05:00"));
    }

    [Fact]
    public void TheYearBoundary_IsJustAnotherDay()
    {
        // Thursday 2026-12-31 23:30 UTC (Friday 00:30 in Berlin).
        Assert.Equal("2027-01-01T22:00Z = Fri 2027-01-01 22:00 UTC", Next("Fri 22:00-02:00 UTC", "2026-12-31T23:30"));
        Assert.True(IsOpen("Thu 22:00-02:00 UTC", "2027-01-01T01:00")); // New Year's night belongs to the Thursday of 2026
        Assert.True(IsOpen("Fri 00:00-01:00 Europe/Berlin", "2026-12-31T23:30"));
        Assert.Equal("2027-01-03T23:00Z = Mon 2027-01-04 00:00 Europe/Berlin", Next("Mon 00:00-01:00 Europe/Berlin", "2026-12-31T23:30"));
    }

    [Fact]
    public void SpringForward_Berlin_TheWindowRunsOverTheLocalTimesThatExist()
    {
        // Sunday 2027-03-28: at 01:00 UTC Berlin's clocks go from 02:00 CET to 03:00 CEST; 02:00-03:00 does not exist.
        Assert.Equal("2027-03-28T01:00Z = Sun 2027-03-28 03:00 Europe/Berlin", Next("Sun 02:30-04:00 Europe/Berlin", "2027-03-27T12:00"));
        Assert.True(IsOpen("Sun 02:30-04:00 Europe/Berlin", "2027-03-28T01:59"));  // 03:59 CEST
        Assert.False(IsOpen("Sun 02:30-04:00 Europe/Berlin", "2027-03-28T02:00")); // 04:00 CEST

        // 01:00-02:30 keeps its hour before the change and ends with it.
        Assert.True(IsOpen("Sun 01:00-02:30 Europe/Berlin", "2027-03-28T00:59"));
        Assert.False(IsOpen("Sun 01:00-02:30 Europe/Berlin", "2027-03-28T01:00"));

        // 02:00-03:00 lies wholly in the hour that is skipped: that Sunday it does not open; the next is a week later.
        Assert.Equal("2027-04-04T00:00Z = Sun 2027-04-04 02:00 Europe/Berlin", Next("Sun 02:00-03:00 Europe/Berlin", "2027-03-27T12:00"));
    }

    [Fact]
    public void FallBack_Berlin_TheWindowIsOpenOverBothPassesOfTheRepeatedTimes()
    {
        // Sunday 2027-10-31: at 01:00 UTC Berlin's clocks go back from 03:00 CEST to 02:00 CET; 02:00-03:00 happens twice.
        const string window = "Sun 02:00-03:00 Europe/Berlin";
        Assert.Equal("2027-10-31T00:00Z = Sun 2027-10-31 02:00 Europe/Berlin", Next(window, "2027-10-30T12:00"));
        Assert.True(IsOpen(window, "2027-10-31T00:30"));  // 02:30 CEST, the first pass
        Assert.True(IsOpen(window, "2027-10-31T01:30"));  // 02:30 CET, the second pass
        Assert.False(IsOpen(window, "2027-10-31T02:00")); // 03:00 CET

        // A window ending inside the repeated hour ends at its second pass; one starting inside it starts at its first.
        Assert.True(IsOpen("Sun 01:00-02:30 Europe/Berlin", "2027-10-31T01:29"));  // 02:29 CET
        Assert.False(IsOpen("Sun 01:00-02:30 Europe/Berlin", "2027-10-31T01:30"));
        Assert.Equal("2027-10-31T00:30Z = Sun 2027-10-31 02:30 Europe/Berlin", Next("Sun 02:30-04:00 Europe/Berlin", "2027-10-30T12:00"));
    }

    [Fact]
    public void NewYork_SpringForwardAndFallBack()
    {
        // Sunday 2027-03-14: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
        Assert.Equal("2027-03-14T07:00Z = Sun 2027-03-14 03:00 America/New_York", Next("Sun 02:00-04:00 America/New_York", "2027-03-13T12:00"));
        Assert.False(IsOpen("Sun 02:00-04:00 America/New_York", "2027-03-14T08:00")); // 04:00 EDT

        // Sunday 2027-11-07: 02:00 EDT becomes 01:00 EST at 06:00 UTC; 01:00-02:00 happens twice, so the window is two hours long.
        Assert.Equal("2027-11-07T05:00Z = Sun 2027-11-07 01:00 America/New_York", Next("Sun 01:00-02:00 America/New_York", "2027-11-06T12:00"));
        Assert.True(IsOpen("Sun 01:00-02:00 America/New_York", "2027-11-07T06:59"));  // 01:59 EST
        Assert.False(IsOpen("Sun 01:00-02:00 America/New_York", "2027-11-07T07:00")); // 02:00 EST
    }

    [Fact]
    public void Next_IsComputedAcrossAChangeOfTheClocks()
    {
        // Saturday before the change, Berlin on CET (+01:00); the Sunday window opens on CEST (+02:00).
        Assert.Equal("2027-03-28T02:00Z = Sun 2027-03-28 04:00 Europe/Berlin", Next("Sun 04:00-05:00 Europe/Berlin", "2027-03-27T12:00"));
        // A week's wait over the change: Monday 04:00 CET before, Monday 04:00 CEST after.
        Assert.Equal("2027-03-29T02:00Z = Mon 2027-03-29 04:00 Europe/Berlin", Next("Mon 04:00-05:00 Europe/Berlin", "2027-03-22T03:00"));
        // And the other way in New York: Monday 04:00 EDT, then Monday 04:00 EST after the change.
        Assert.Equal("2027-11-08T09:00Z = Mon 2027-11-08 04:00 America/New_York", Next("Mon 04:00-05:00 America/New_York", "2027-11-01T08:30"));
    }

    [Fact]
    public void HalfHourOffsets_Kolkata_AndAdelaideWithItsChanges()
    {
        // Asia/Kolkata is +05:30 all year: Monday 00:00 IST is Sunday 18:30 UTC.
        Assert.Equal("2026-11-29T18:30Z = Mon 2026-11-30 00:00 Asia/Kolkata", Next("Mon 00:00-01:00 Asia/Kolkata", "2026-11-29T12:00"));
        Assert.True(IsOpen("Mon 00:00-01:00 Asia/Kolkata", "2026-11-29T19:29"));
        Assert.False(IsOpen("Mon 00:00-01:00 Asia/Kolkata", "2026-11-29T19:30"));

        // Australia/Adelaide: +10:30 in summer, +09:30 in winter. Sunday 2027-04-04 03:00 ACDT falls back to 02:00 ACST
        // (16:30 UTC on Saturday): 02:00-03:00 happens twice and the window spans both.
        Assert.Equal("2027-04-03T15:30Z = Sun 2027-04-04 02:00 Australia/Adelaide", Next("Sun 02:00-03:00 Australia/Adelaide", "2027-04-03T00:00"));
        Assert.True(IsOpen("Sun 02:00-03:00 Australia/Adelaide", "2027-04-03T17:29"));
        Assert.False(IsOpen("Sun 02:00-03:00 Australia/Adelaide", "2027-04-03T17:30"));

        // Sunday 2027-10-03 02:00 ACST springs to 03:00 ACDT (16:30 UTC on Saturday): 02:30-04:00 opens at 03:00.
        Assert.Equal("2027-10-02T16:30Z = Sun 2027-10-03 03:00 Australia/Adelaide", Next("Sun 02:30-04:00 Australia/Adelaide", "2027-10-02T00:00"));
    }

    [Fact]
    public void SeveralWindows_TheEarliestOpeningWins_AcrossZones()
    {
        var windows = Windows("Sat 22:00-23:00 America/New_York", "Sat 02:00-06:00 Europe/Berlin");
        // Saturday 02:00 in Berlin (01:00 UTC) comes before Saturday 22:00 in New York (EST: Sunday 03:00 UTC).
        var (at, window) = WindowSchedule.NextOpening(windows, Utc("2026-12-02T12:00"));
        Assert.Equal(Utc("2026-12-05T01:00"), at);
        Assert.Equal("Sat 02:00-06:00 Europe/Berlin", window.Text);
        Assert.Equal("Sat 22:00-23:00 America/New_York", WindowSchedule.OpenAt(windows, Utc("2026-12-06T03:30"))!.Text);
        Assert.Null(WindowSchedule.OpenAt(windows, Utc("2026-12-05T05:00")));
    }
}

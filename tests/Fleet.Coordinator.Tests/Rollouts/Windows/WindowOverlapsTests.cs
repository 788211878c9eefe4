using Fleet.Coordinator.Rollouts;

namespace Fleet.Coordinator.Tests.Rollouts.Windows;

/// <summary>Windows of one plan may not overlap, in one zone or across zones, on any day of the span checked (changes of the clocks included).</summary>
public class WindowOverlapsTests
{
    private static IReadOnlyList<string> Problems(params string[] windows) => PlanParser.Parse($$"""
        target: {}
        strategy:
          windows: [{{string.Join(", ", windows.Select(w => $"\"{w}\""))}}]
        recipe: { install-cni: { version: v1.1.1 } }
        """).Problems;

    [Fact]
    public void WindowsThatMeetButDoNotOverlap_AreAccepted()
    {
        Assert.Empty(Problems("Sat 02:00-06:00 UTC", "Sat 06:00-08:00 UTC"));
        Assert.Empty(Problems("Mon-Fri 22:00-02:00 UTC", "Sat,Sun 02:00-22:00 UTC"));
        Assert.Empty(Problems("Sat 02:00-06:00 Europe/Berlin", "Sat 02:00-06:00 America/New_York")); // six hours apart all year
    }

    [Fact]
    public void TheSameZone_OverlappingHours_AreRefusedNamingBothAndWhen()
    {
        var problem = Assert.Single(Problems("Sat 02:00-06:00 Europe/Berlin", "Sat 05:00-07:00 Europe/Berlin"));
        Assert.Equal("strategy.windows[1]: \"Sat 05:00-07:00 Europe/Berlin\" overlaps strategy.windows[0] (\"Sat 02:00-06:00 Europe/Berlin\"), first at Sat 2026-01-03 05:00 Europe/Berlin; windows may not overlap", problem);
    }

    [Fact]
    public void AWindowCrossingMidnight_OverlapsTheNextDaysWindow()
    {
        var problem = Assert.Single(Problems("Fri 22:00-03:00 UTC", "Sat 02:00-06:00 UTC"));
        Assert.StartsWith("strategy.windows[1]: \"Sat 02:00-06:00 UTC\" overlaps strategy.windows[0]", problem);
        Assert.Contains(Problems("Sun 23:00-01:00 UTC", "Mon 00:00-02:00 UTC"), p => p.StartsWith("strategy.windows[1]: ", StringComparison.Ordinal)); // across the week's end
    }

    [Fact]
    public void AcrossZones_TheSameInstants_AreRefused()
    {
        // Saturday 02:00-06:00 in Berlin (01:00-05:00 UTC in winter) and Friday 22:00-23:00 in New York (03:00-04:00 UTC).
        var problem = Assert.Single(Problems("Sat 02:00-06:00 Europe/Berlin", "Fri 22:00-23:00 America/New_York"));
        Assert.StartsWith("strategy.windows[1]: \"Fri 22:00-23:00 America/New_York\" overlaps strategy.windows[0] (\"Sat 02:00-06:00 Europe/Berlin\"), first at Fri 2026-01-02 22:00 America/New_York", problem);
    }

    [Fact]
    public void AcrossZones_AnOverlapOnlyWhileTheirClocksChangeOnDifferentDates_IsFound()
    {
        // Berlin and New York are six hours apart, but five in the weeks when the US has changed its clocks and Europe has
        // not (2026-03-08 to 2026-03-29, 2026-10-25 to 2026-11-01): then 08:00 in Berlin is 03:00 in New York.
        var problems = Problems("Sun 08:00-09:00 Europe/Berlin", "Sun 03:00-03:30 America/New_York");
        var problem = Assert.Single(problems);
        Assert.StartsWith("strategy.windows[1]: \"Sun 03:00-03:30 America/New_York\" overlaps strategy.windows[0] (\"Sun 08:00-09:00 Europe/Berlin\"), first at Sun 2026-03-08 03:00 America/New_York", problem);
    }

    [Fact]
    public void AFallBackLengthensAWindow_SoItsNeighbourInTheSameZoneOverlapsOnThatDay()
    {
        // Berlin, 2026-10-25: 02:00-03:00 happens twice. "Sat 22:00-02:00" ends at the second pass of 02:00; "Sun 02:00-06:00"
        // starts at the first: the two share an hour that day only.
        var problem = Assert.Single(Problems("Sat 22:00-02:00 Europe/Berlin", "Sun 02:00-06:00 Europe/Berlin"));
        Assert.Contains("first at Sun 2026-10-25 02:00 Europe/Berlin", problem);
    }

    [Fact]
    public void EveryOverlappingPair_IsListedOnce()
    {
        var problems = Problems("Sat 00:00-24:00 UTC", "Sat 01:00-02:00 UTC", "Sat 03:00-04:00 UTC", "Sat,Sun 12:00-13:00 UTC");
        Assert.Equal(3, problems.Count);
        Assert.All(problems, p => Assert.Contains("overlaps strategy.windows[0]", p));
        Assert.Equal(["strategy.windows[1]", "strategy.windows[2]", "strategy.windows[3]"], problems.Select(p => p[..p.IndexOf(':', StringComparison.Ordinal)]).Order());
    }
}

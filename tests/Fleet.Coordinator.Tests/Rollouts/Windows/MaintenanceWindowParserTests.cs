using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Rollouts.Windows;

namespace Fleet.Coordinator.Tests.Rollouts.Windows;

/// <summary>strategy.windows at plan time: the grammar (docs/rollouts.md), and every bad entry refused by its path.</summary>
public class MaintenanceWindowParserTests
{
    private static (RolloutPlan? Plan, IReadOnlyList<string> Problems) Plan(params string[] windows) => PlanParser.Parse($$"""
        target: {}
        strategy:
          windows: [{{string.Join(", ", windows.Select(w => $"\"{w}\""))}}]
        recipe:
          install-cni: { version: v1.1.1 }
        """);

    private static MaintenanceWindow One(string text)
    {
        var problems = new List<string>();
        var window = MaintenanceWindowParser.Parse("w", text, problems);
        Assert.True(window is not null, string.Join("; ", problems));
        return window;
    }

    [Fact]
    public void Parse_TheDocumentedForms_GiveDaysMinutesAndZone()
    {
        var (plan, problems) = Plan("Sat 04:00-06:00 Europe/Berlin", "Mon-Fri 22:00-02:00 UTC", "Sun 06:00-24:00 America/New_York");
        Assert.Empty(problems);
        var windows = plan!.Strategy.Windows;
        Assert.Equal(["Sat 04:00-06:00 Europe/Berlin", "Mon-Fri 22:00-02:00 UTC", "Sun 06:00-24:00 America/New_York"], windows.Select(w => w.Text));
        Assert.Equal([DayOfWeek.Saturday], windows[0].Days);
        Assert.Equal((240, 360), (windows[0].StartMinute, windows[0].EndMinute));
        Assert.Equal("Europe/Berlin", windows[0].Zone.Id);
        Assert.Equal([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], windows[1].Days.Order());
        Assert.True(windows[1].CrossesMidnight);
        Assert.Equal(MaintenanceWindow.EndOfDay, windows[2].EndMinute);
        Assert.False(windows[2].CrossesMidnight);
    }

    [Fact]
    public void Parse_CommaListsRangesThatWrapAndAnyCase()
    {
        Assert.Equal([DayOfWeek.Sunday, DayOfWeek.Saturday], One("Sat,Sun 00:00-24:00 America/New_York").Days.Order());
        Assert.Equal([DayOfWeek.Sunday, DayOfWeek.Monday, DayOfWeek.Friday, DayOfWeek.Saturday], One("Fri-Mon 01:00-03:00 UTC").Days.Order());
        Assert.Equal([DayOfWeek.Monday, DayOfWeek.Wednesday, DayOfWeek.Thursday], One("mon,WED-thu 01:00-03:00 Asia/Kolkata").Days.Order());
    }

    [Fact]
    public void NoWindows_MeansAnyTime()
    {
        var (plan, problems) = PlanParser.Parse("""
            target: {}
            recipe: { install-cni: { version: v1.1.1 } }
            """);
        Assert.Empty(problems);
        Assert.Empty(plan!.Strategy.Windows);
        Assert.Empty(StrategySummary.From(plan.Strategy).Windows);
    }

    [Fact]
    public void TheEffectiveStrategy_ListsTheWindowsAsWritten()
    {
        var (plan, _) = Plan("Sat 02:00-06:00 Europe/Berlin", "Sun 02:00-06:00 Europe/Berlin");
        Assert.Equal(["Sat 02:00-06:00 Europe/Berlin", "Sun 02:00-06:00 Europe/Berlin"], StrategySummary.From(plan!.Strategy).Windows);
    }

    [Theory]
    [InlineData("Sunday 02:00-06:00 UTC", "strategy.windows[0]: unknown day \"Sunday\"")]
    [InlineData("Sat,Som 02:00-06:00 UTC", "strategy.windows[0]: unknown day \"Som\"")]
    [InlineData("Mon-Fri-Sun 02:00-06:00 UTC", "strategy.windows[0]: unknown day \"Mon-Fri-Sun\"")]
    [InlineData("Mon,,Tue 02:00-06:00 UTC", "strategy.windows[0]: \"Mon,,Tue\" has an empty day")]
    [InlineData("Mon, 02:00-06:00 UTC", "strategy.windows[0]: \"Mon,\" has an empty day")]
    [InlineData("Mon,Mon 02:00-06:00 UTC", "strategy.windows[0]: Mon is listed twice in \"Mon,Mon\"")]
    [InlineData("Mon-Fri,Wed 02:00-06:00 UTC", "strategy.windows[0]: Wed is listed twice in \"Mon-Fri,Wed\"")]
    [InlineData("Mon-Mon 02:00-06:00 UTC", "strategy.windows[0]: \"Mon-Mon\" is not a range of days")]
    [InlineData("Sat 2:00-06:00 UTC", "strategy.windows[0]: \"2:00-06:00\" is not a time range HH:MM-HH:MM")]
    [InlineData("Sat 02:00–06:00 UTC", "strategy.windows[0]: \"02:00–06:00\" is not a time range HH:MM-HH:MM")]
    [InlineData("Sat 02:00 UTC", "strategy.windows[0]: \"02:00\" is not a time range HH:MM-HH:MM")]
    [InlineData("Sat 25:00-06:00 UTC", "strategy.windows[0]: 25:00 is not a time of day (00:00 to 23:59)")]
    [InlineData("Sat 02:60-06:00 UTC", "strategy.windows[0]: 02:60 is not a time of day (00:00 to 23:59)")]
    [InlineData("Sat 02:00-24:01 UTC", "strategy.windows[0]: 24:01 is not a time of day (00:00 to 23:59, or 24:00 as an end)")]
    [InlineData("Sat 24:00-06:00 UTC", "strategy.windows[0]: the start 24:00 is not a time of day (24:00 can only end a window)")]
    [InlineData("Sat 02:00-02:00 UTC", "strategy.windows[0]: \"02:00-02:00\" is empty: the end equals the start")]
    [InlineData("Sat 00:00-00:00 UTC", "strategy.windows[0]: \"00:00-00:00\" is empty: the end equals the start (00:00-24:00 is a whole day)")]
    [InlineData("Sat 02:00-06:00 Europe/Berlín", "strategy.windows[0]: unknown time zone \"Europe/Berlín\"")]
    [InlineData("Sat 02:00-06:00 Mars/Olympus_Mons", "strategy.windows[0]: unknown time zone \"Mars/Olympus_Mons\"")]
    [InlineData("Sat 02:00-06:00 ../../../etc/passwd", "strategy.windows[0]: unknown time zone \"../../../etc/passwd\"")]
    [InlineData("Sat 02:00-06:00 /etc/localtime", "strategy.windows[0]: unknown time zone \"/etc/localtime\"")]
    [InlineData("Sat 02:00-06:00 localtime", "strategy.windows[0]: unknown time zone \"localtime\"")]
    [InlineData("Sat 02:00-06:00 Europe/../Europe/Berlin", "strategy.windows[0]: unknown time zone \"Europe/../Europe/Berlin\"")]
    [InlineData("Sat 02:00-06:00 +02:00", "strategy.windows[0]: unknown time zone \"+02:00\"")]
    [InlineData("Sat 02:00-06:00 W. Europe Standard Time", "strategy.windows[0]: \"Sat 02:00-06:00 W. Europe Standard Time\" is not DAYS HH:MM-HH:MM ZONE")]
    [InlineData("Sat 02:00-06:00", "strategy.windows[0]: \"Sat 02:00-06:00\" is not DAYS HH:MM-HH:MM ZONE")]
    [InlineData("   ", "strategy.windows[0]: empty")]
    [InlineData("", "strategy.windows[0]: empty")]
    public void Parse_HostileEntries_AreRefusedByPath(string window, string expected)
    {
        var (plan, problems) = Plan(window);
        Assert.Null(plan);
        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ListsEveryProblemOfEveryEntry_ByItsIndex()
    {
        var (plan, problems) = Plan("Sat 02:00-06:00 UTC", "Fun 25:00-06:00 Nowhere/Land", "Mon 03:00-03:00 UTC");
        Assert.Null(plan);
        Assert.Equal(4, problems.Count);
        Assert.StartsWith("strategy.windows[1]: unknown day \"Fun\"", problems[0]);
        Assert.StartsWith("strategy.windows[1]: 25:00 is not a time of day", problems[1]);
        Assert.StartsWith("strategy.windows[1]: unknown time zone \"Nowhere/Land\"", problems[2]);
        Assert.StartsWith("strategy.windows[2]: \"03:00-03:00\" is empty", problems[3]);
    }

    [Fact]
    public void Parse_AnEmptyListEntry_IsNamedByTheBinder()
    {
        var (plan, problems) = PlanParser.Parse("""
            target: {}
            strategy:
              windows:
                - Sat 02:00-06:00 UTC
                -
            recipe: { install-cni: { version: v1.1.1 } }
            """);
        Assert.Null(plan);
        Assert.Equal(["strategy.windows[1]: empty"], problems);
    }

    [Fact]
    public void Parse_AnEmptyList_NotAList_TooManyOrTooLong_AreRefused()
    {
        static IReadOnlyList<string> Problems(string windows) => PlanParser.Parse($"""
            target: {"{}"}
            strategy:
              windows: {windows}
            recipe: {"{ install-cni: { version: v1.1.1 } }"}
            """).Problems;

        Assert.StartsWith("strategy.windows: empty", Assert.Single(Problems("[]")));
        Assert.StartsWith("strategy.windows: expected a list", Assert.Single(Problems("\"Sat 02:00-06:00 UTC\"")));
        var many = string.Join(", ", Enumerable.Range(0, MaintenanceWindowParser.MaxWindows + 1).Select(i => $"\"Sat {i / 60 % 24:00}:{i % 60:00}-23:59 UTC\""));
        Assert.Equal($"strategy.windows: {MaintenanceWindowParser.MaxWindows + 1} windows; at most {MaintenanceWindowParser.MaxWindows}", Assert.Single(Problems($"[{many}]")));
        Assert.Equal("strategy.windows[0]: 301 characters; a window is at most 200", Assert.Single(Problems($"[\"Sat 02:00-06:00 {new string('A', 285)}\"]")));
    }
}

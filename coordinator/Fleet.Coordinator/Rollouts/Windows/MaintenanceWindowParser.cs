using System.Globalization;
using System.Text.RegularExpressions;

namespace Fleet.Coordinator.Rollouts.Windows;

/// <summary>
/// <c>strategy.windows</c>: each entry is <c>DAYS HH:MM-HH:MM ZONE</c> (docs/rollouts.md, "Maintenance windows").
/// Every problem is listed by path; windows that overlap one another are refused (<see cref="WindowOverlaps"/>).
/// </summary>
public static partial class MaintenanceWindowParser
{
    public const int MaxWindows = 20;
    public const int MaxLength = 200;

    private const string Example = "e.g. \"Sat 02:00-06:00 Europe/Berlin\" or \"Mon-Fri 22:00-02:00 UTC\"";

    private static readonly string[] DayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]; // indexed by DayOfWeek

    /// <summary>The windows, or none when <paramref name="texts"/> is null (no windows: nodes start at any time).</summary>
    public static IReadOnlyList<MaintenanceWindow> ParseAll(string at, List<string>? texts, List<string> problems)
    {
        if (texts is null)
        {
            return [];
        }

        if (texts.Count == 0)
        {
            problems.Add($"{at}: empty (leave strategy.windows out to start nodes at any time)");
            return [];
        }

        if (texts.Count > MaxWindows)
        {
            problems.Add($"{at}: {texts.Count} windows; at most {MaxWindows}");
            return [];
        }

        var windows = new List<(string At, MaintenanceWindow Window)>();
        var before = problems.Count;
        for (var i = 0; i < texts.Count; i++)
        {
            if (Parse($"{at}[{i}]", texts[i], problems) is { } window)
            {
                windows.Add(($"{at}[{i}]", window));
            }
        }

        if (problems.Count == before)
        {
            problems.AddRange(WindowOverlaps.Problems(windows));
        }

        return [.. windows.Select(w => w.Window)];
    }

    /// <summary>One window, or null with its problems added (each one prefixed by <paramref name="at"/>).</summary>
    public static MaintenanceWindow? Parse(string at, string text, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add($"{at}: empty ({Example})");
            return null;
        }

        if (text.Length > MaxLength)
        {
            problems.Add($"{at}: {text.Length} characters; a window is at most {MaxLength}");
            return null;
        }

        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3)
        {
            problems.Add($"{at}: \"{text}\" is not DAYS HH:MM-HH:MM ZONE ({Example})");
            return null;
        }

        var before = problems.Count;
        var days = Days(at, parts[0], problems);
        var (start, end) = Times(at, parts[1], problems);
        var zone = Zone(at, parts[2], problems);
        return problems.Count == before ? new MaintenanceWindow(text, days, start, end, zone!) : null;
    }

    /// <summary>"Mon", "Mon-Fri", "Sat,Sun", "Fri-Mon" (a range may wrap past Sunday), each day at most once.</summary>
    private static HashSet<DayOfWeek> Days(string at, string text, List<string> problems)
    {
        var days = new HashSet<DayOfWeek>();
        foreach (var item in text.Split(','))
        {
            if (item.Length == 0)
            {
                problems.Add($"{at}: \"{text}\" has an empty day (days are Mon, Tue, Wed, Thu, Fri, Sat, Sun, ranges like Mon-Fri, joined by commas)");
                continue;
            }

            var ends = item.Split('-');
            if (ends.Length > 2 || ends.Any(e => Day(e) is null))
            {
                var unknown = ends.Length > 2 ? item : ends.First(e => Day(e) is null);
                problems.Add($"{at}: unknown day \"{unknown}\" (Mon, Tue, Wed, Thu, Fri, Sat, Sun, or a range like Mon-Fri)");
                continue;
            }

            var first = Day(ends[0])!.Value;
            var last = Day(ends[^1])!.Value;
            if (ends.Length == 2 && first == last)
            {
                problems.Add($"{at}: \"{item}\" is not a range of days (write {DayNames[(int)first]} for one day)");
                continue;
            }

            for (var d = first; ; d = (DayOfWeek)(((int)d + 1) % 7))
            {
                if (!days.Add(d))
                {
                    problems.Add($"{at}: {DayNames[(int)d]} is listed twice in \"{text}\"");
                }

                if (d == last)
                {
                    break;
                }
            }
        }

        return days;
    }

    private static DayOfWeek? Day(string name)
    {
        var i = Array.FindIndex(DayNames, d => d.Equals(name, StringComparison.OrdinalIgnoreCase));
        return i < 0 ? null : (DayOfWeek)i;
    }

    private static (int Start, int End) Times(string at, string text, List<string> problems)
    {
        var match = TimesPattern().Match(text);
        if (!match.Success)
        {
            problems.Add($"{at}: \"{text}\" is not a time range HH:MM-HH:MM (24-hour, e.g. 22:00-02:00)");
            return (0, 0);
        }

        var start = Minute(at, match.Groups["start"].Value, isEnd: false, problems);
        var end = Minute(at, match.Groups["end"].Value, isEnd: true, problems);
        if (start is { } s && s == end)
        {
            problems.Add($"{at}: \"{text}\" is empty: the end equals the start (00:00-24:00 is a whole day)");
        }

        return (start ?? 0, end ?? 0);
    }

    private static int? Minute(string at, string text, bool isEnd, List<string> problems)
    {
        var hours = int.Parse(text[..2], NumberStyles.None, CultureInfo.InvariantCulture);
        var minutes = int.Parse(text[3..], NumberStyles.None, CultureInfo.InvariantCulture);
        if (hours == 24 && minutes == 0)
        {
            if (isEnd)
            {
                return MaintenanceWindow.EndOfDay;
            }

            problems.Add($"{at}: the start {text} is not a time of day (24:00 can only end a window)");
            return null;
        }

        if (hours > 23 || minutes > 59)
        {
            problems.Add($"{at}: {text} is not a time of day (00:00 to 23:59{(isEnd ? ", or 24:00 as an end" : "")})");
            return null;
        }

        return (hours * 60) + minutes;
    }

    private static TimeZoneInfo? Zone(string at, string id, List<string> problems)
    {
        var unknown = $"{at}: unknown time zone \"{id}\" (an IANA name from the tz database, e.g. Europe/Berlin, America/New_York or UTC)";
        if (!ZonePattern().IsMatch(id) || id.Equals("localtime", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(unknown);
            return null;
        }

        try
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            if (zone.HasIanaId)
            {
                return zone;
            }
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException or IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            // reported below, in Fleet's words
        }

        problems.Add(unknown);
        return null;
    }

    [GeneratedRegex(@"^(?<start>[0-9]{2}:[0-9]{2})-(?<end>[0-9]{2}:[0-9]{2})$")]
    private static partial Regex TimesPattern();

    /// <summary>What an IANA zone name is made of: names joined by '/', never "." or "..", so no file outside the tz database is read.</summary>
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_+\-]{0,40}(/[A-Za-z0-9][A-Za-z0-9_+\-]{0,40}){0,2}$")]
    private static partial Regex ZonePattern();
}

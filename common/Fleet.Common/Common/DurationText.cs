using System.Globalization;

namespace Fleet;

/// <summary>
/// The one duration syntax of Fleet's flags, plan keys and configuration: a number with a unit, or
/// several in a row as Go and kubectl write them: 500ms, 90s, 10m, 1h30m, 1m30s, 1d, 1.5h. Units:
/// ms, s, m, h, d. A number without a unit is refused (is `5` seconds or minutes?).
/// </summary>
public static class DurationText
{
    public const string Examples = "90s, 10m, 1h30m or 1d";

    public static readonly TimeSpan Max = TimeSpan.FromDays(365);

    public static bool TryParse(string? text, out TimeSpan value) => Problem(text, out value) is null;

    /// <summary>Why the text is not a positive duration, or null when it is.</summary>
    public static string? Problem(string? text, out TimeSpan value)
    {
        value = default;
        var s = text?.Trim() ?? "";
        if (s.Length == 0)
        {
            return $"\"{text}\" is empty: give a duration such as {Examples}";
        }

        var total = 0.0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (i == start || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            {
                return $"\"{text}\" is not a duration such as {Examples}";
            }

            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            double? scale = s[unitStart..i] switch
            {
                "ms" => 0.001,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86400,
                _ => null,
            };
            if (scale is null)
            {
                return unitStart == i
                    ? $"\"{text}\" has no unit: write {s[start..i]}s, {s[start..i]}m, {s[start..i]}h or {s[start..i]}d"
                    : $"\"{text}\": \"{s[unitStart..i]}\" is not a unit (ms, s, m, h, d)";
            }

            total += n * scale.Value;
        }

        if (!double.IsFinite(total) || total < 0.001)
        {
            return $"\"{text}\" must be at least 1ms";
        }

        if (total > Max.TotalSeconds)
        {
            return $"\"{text}\" is more than a year";
        }

        value = TimeSpan.FromSeconds(total);
        return null;
    }

    /// <summary>The shortest text that parses back to the same value: 1h30m, 90s → 1m30s, 500ms.</summary>
    public static string Format(TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            return "0s";
        }

        var parts = new List<string>();
        if (value.Days > 0)
        {
            parts.Add($"{value.Days}d");
        }

        if (value.Hours > 0)
        {
            parts.Add($"{value.Hours}h");
        }

        if (value.Minutes > 0)
        {
            parts.Add($"{value.Minutes}m");
        }

        if (value.Seconds > 0)
        {
            parts.Add($"{value.Seconds}s");
        }

        if (value.Milliseconds > 0)
        {
            parts.Add($"{value.Milliseconds}ms");
        }

        return string.Concat(parts);
    }
}

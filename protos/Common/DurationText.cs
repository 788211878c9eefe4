using System.Globalization;

namespace Fleet;

/// <summary>Parses durations written as 500ms, 5s, 2m, 1h, or a plain number of seconds.</summary>
public static class DurationText
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1),
            _ when text.EndsWith('m') => (text[..^1], 60),
            _ when text.EndsWith('h') => (text[..^1], 3600),
            _ => (text, 1),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || !double.IsFinite(n) || n <= 0)
        {
            return false;
        }

        var seconds = n * scale;
        if (seconds < 0.001 || seconds > TimeSpan.FromDays(365).TotalSeconds)
        {
            return false; // under a millisecond or over a year is a typo, not a setting
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }
}

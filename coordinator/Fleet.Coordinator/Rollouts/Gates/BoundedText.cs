using System.Text;

namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>Text that came from a server a plan names (an error, a label value), made safe for a reason or a log line:
/// control characters replaced, cut to a bound with "…".</summary>
public static class BoundedText
{
    public static string Of(string? text, int max = 200)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var b = new StringBuilder(Math.Min(text.Length, max + 1));
        foreach (var c in text)
        {
            if (b.Length >= max)
            {
                return b.Append('…').ToString();
            }

            b.Append(char.IsControl(c) ? ' ' : c);
        }

        return b.ToString();
    }
}

using System.Globalization;

namespace Fleet.Agent.Facts;

/// <summary>Parsers for the kernel's text files; each returns null when the text is not of the expected shape.</summary>
public static class ProcParsers
{
    /// <summary>/proc/meminfo: field name to bytes ("MemTotal: 2009 kB").</summary>
    public static Dictionary<string, long> MemInfo(string text)
    {
        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 1 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                fields[line[..colon]] = parts.Length > 1 && parts[1] == "kB" ? n * 1024 : n;
            }
        }

        return fields;
    }

    /// <summary>/proc/loadavg: the 1, 5 and 15 minute load averages.</summary>
    public static (double One, double Five, double Fifteen)? LoadAvg(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length >= 3
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var one)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var five)
            && double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var fifteen))
        {
            return (one, five, fifteen);
        }

        return null;
    }

    /// <summary>A CPU list such as /sys/devices/system/cpu/online ("0-3,6"): how many CPUs it names.</summary>
    public static int? CpuListCount(string text)
    {
        var count = 0;
        foreach (var range in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = range.Split('-');
            if (!int.TryParse(bounds[0], CultureInfo.InvariantCulture, out var first))
            {
                return null;
            }

            var last = first;
            if (bounds.Length == 2 && !int.TryParse(bounds[1], CultureInfo.InvariantCulture, out last))
            {
                return null;
            }

            if (bounds.Length > 2 || last < first)
            {
                return null;
            }

            count += last - first + 1;
        }

        return count > 0 ? count : null;
    }

    /// <summary>/etc/os-release: PRETTY_NAME, else NAME VERSION.</summary>
    public static string? OsPrettyName(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var eq = line.IndexOf('=');
            if (eq > 0 && !line.StartsWith('#'))
            {
                values[line[..eq].Trim()] = line[(eq + 1)..].Trim().Trim('"', '\'');
            }
        }

        if (values.TryGetValue("PRETTY_NAME", out var pretty) && pretty.Length > 0)
        {
            return pretty;
        }

        return values.TryGetValue("NAME", out var name)
            ? (values.TryGetValue("VERSION", out var version) ? $"{name} {version}" : name)
            : null;
    }
}

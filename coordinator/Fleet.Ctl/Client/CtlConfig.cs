namespace Fleet.Ctl.Client;

/// <summary>
/// fleetctl's settings file, ~/.config/fleet/config (or FLEET_CONFIG): lines of `key: value`
/// (or `key = value`) for server, cert, key, ca and socket; '#' starts a comment. Flags and FLEET_*
/// variables win over it.
/// </summary>
public static class CtlConfig
{
    public static readonly string[] Keys = ["server", "cert", "key", "ca", "socket"];

    public static string? DefaultPath(IReadOnlyDictionary<string, string?> environment) =>
        environment.GetValueOrDefault("FLEET_CONFIG")
        ?? (environment.GetValueOrDefault("HOME") is { Length: > 0 } home ? Path.Join(home, ".config", "fleet", "config") : null);

    /// <summary>The settings in <paramref name="path"/>; empty when the file does not exist. Throws <see cref="UsageException"/> naming a bad line.</summary>
    public static Dictionary<string, string> Load(string? path)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        if (path is null || !File.Exists(path))
        {
            return settings;
        }

        var number = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            number++;
            var line = raw.Split('#', 2)[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var cut = line.IndexOfAny([':', '=']);
            var key = cut > 0 ? line[..cut].Trim() : "";
            if (!Keys.Contains(key))
            {
                throw new UsageException($"{path}:{number}: expected `key: value` with key one of {string.Join(", ", Keys)}");
            }

            settings[key] = line[(cut + 1)..].Trim();
        }

        return settings;
    }
}

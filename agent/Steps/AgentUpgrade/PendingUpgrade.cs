using System.Globalization;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// STATE_DIR/agent-upgrade/pending: an upgrade handed to the watchdog and not finished yet. Written by
/// the agent before the watchdog starts; removed by the watchdog once it wrote the outcome. The watchdog
/// checks every value again (packaging/debian/fleet-agent/fleet-agent-upgrade).
/// </summary>
/// <param name="Package">The new package's real path, in STATE_DIR/agent-packages.</param>
/// <param name="Previous">The package of <paramref name="From"/>, the way back, in the same folder.</param>
/// <param name="Started">Unix time the agent handed over.</param>
/// <param name="Base">
/// "" for the package (no mode and base keys); for a bare install (mode=binary) BASE, and then
/// <paramref name="Package"/> is BASE/versions/TO/fleet-agent and <paramref name="Previous"/> BASE/versions/FROM/fleet-agent.
/// </param>
public sealed record PendingUpgrade(string Step, string Rollout, string From, string To, string Package, string Previous, int DeadlineSeconds, long Started, string Base = "")
{
    private static readonly string[] Keys = ["step", "rollout", "from", "to", "package", "previous", "deadline", "started", "mode", "base"];

    public bool IsBinary => Base.Length > 0;

    public string Format()
    {
        List<(string, string)> values =
        [
            ("step", Step), ("rollout", Rollout), ("from", From), ("to", To), ("package", Package), ("previous", Previous),
            ("deadline", DeadlineSeconds.ToString(CultureInfo.InvariantCulture)), ("started", Started.ToString(CultureInfo.InvariantCulture)),
        ];
        if (IsBinary)
        {
            values.Add(("mode", AgentInstallation.Binary));
            values.Add(("base", Base));
        }

        return KeyValueRecord.Format(values);
    }

    /// <summary>BASE/versions/VERSION/fleet-agent.</summary>
    public static string BinaryPath(string baseDir, string version) => $"{baseDir}/versions/{version}/fleet-agent";

    /// <summary>Parsed and checked: throws <see cref="InvalidDataException"/> naming the bad value.</summary>
    /// <param name="cacheDir">The package cache: both packages must be files directly in it, named for their versions.</param>
    public static PendingUpgrade Parse(string text, string cacheDir)
    {
        var v = KeyValueRecord.Parse(text, Keys);
        var step = Id(v, "step");
        var rollout = KeyValueRecord.Required(v, "rollout");
        if (rollout.Length > 0 && !AgentVersionText.IsValidId(rollout))
        {
            throw new InvalidDataException($"rollout: {AgentVersionText.Show(rollout)} is not an id");
        }

        var from = Version(v, "from");
        var to = Version(v, "to");
        var mode = v.GetValueOrDefault("mode", AgentInstallation.Deb);
        var baseDir = "";
        string package, previous;
        if (mode == AgentInstallation.Binary)
        {
            baseDir = KeyValueRecord.Required(v, "base");
            if (!AgentVersionText.IsSafeBase(baseDir))
            {
                throw new InvalidDataException($"base: {AgentVersionText.Show(baseDir)} is not an absolute path of letters, digits and /._- without . or .. parts");
            }

            package = BinaryPath(v, "package", baseDir, to);
            previous = BinaryPath(v, "previous", baseDir, from);
        }
        else if (mode == AgentInstallation.Deb)
        {
            if (v.ContainsKey("base"))
            {
                throw new InvalidDataException("base is given, but mode is not binary");
            }

            package = PackagePath(v, "package", cacheDir, to);
            previous = PackagePath(v, "previous", cacheDir, from);
        }
        else
        {
            throw new InvalidDataException($"mode: {AgentVersionText.Show(mode)} is not deb or binary");
        }

        var deadline = KeyValueRecord.Required(v, "deadline");
        if (!int.TryParse(deadline, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > 3600)
        {
            throw new InvalidDataException($"deadline: {AgentVersionText.Show(deadline)} is not a number of seconds from 1 to 3600");
        }

        var startedText = KeyValueRecord.Required(v, "started");
        if (!long.TryParse(startedText, NumberStyles.None, CultureInfo.InvariantCulture, out var started))
        {
            throw new InvalidDataException($"started: {AgentVersionText.Show(startedText)} is not a unix time");
        }

        return new PendingUpgrade(step, rollout, from, to, package, previous, seconds, started, baseDir);
    }

    internal static string Id(IReadOnlyDictionary<string, string> v, string key)
    {
        var id = KeyValueRecord.Required(v, key);
        return AgentVersionText.IsValidId(id) ? id : throw new InvalidDataException($"{key}: {AgentVersionText.Show(id)} is not a step id");
    }

    internal static string Version(IReadOnlyDictionary<string, string> v, string key)
    {
        var version = KeyValueRecord.Required(v, key);
        return AgentPackageVersion.IsValid(version) ? version : throw new InvalidDataException($"{key}: {AgentVersionText.Show(version)} is not a version X.Y.Z");
    }

    private static string BinaryPath(IReadOnlyDictionary<string, string> v, string key, string baseDir, string version)
    {
        var path = KeyValueRecord.Required(v, key);
        var expected = BinaryPath(baseDir, version);
        return path == expected ? path : throw new InvalidDataException($"{key}: {AgentVersionText.Show(path)} is not {expected}");
    }

    private static string PackagePath(IReadOnlyDictionary<string, string> v, string key, string cacheDir, string version)
    {
        var path = KeyValueRecord.Required(v, key);
        var name = Path.GetFileName(path);
        var named = name.StartsWith($"fleet-agent_{version}_", StringComparison.Ordinal) && name.EndsWith(".deb", StringComparison.Ordinal);
        return Path.GetDirectoryName(path) == cacheDir.TrimEnd('/') && named && !path.Contains("/../", StringComparison.Ordinal)
            ? path
            : throw new InvalidDataException($"{key}: {AgentVersionText.Show(path)} is not fleet-agent_{version}_ARCH.deb in {cacheDir}");
    }
}

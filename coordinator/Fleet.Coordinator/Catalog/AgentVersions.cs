using System.Text.RegularExpressions;

namespace Fleet.Coordinator.Catalog;

/// <summary>
/// fleet-agent's versions as Fleet builds them: the Debian package's Version, X.Y.Z (VersionPrefix in
/// Directory.Build.props, packaging/build.sh --version), no "v". An agent reports its version in its facts, possibly with a
/// "+build" suffix (the informational version); the package version is what comes before it.
/// </summary>
public static partial class AgentVersions
{
    /// <summary>"0.9.1": the form the catalog's fleet-agent versions and the upgrade-agent recipe take.</summary>
    public static bool IsPackageVersion(string? text) => text is not null && PackageVersion().IsMatch(text);

    /// <summary>The package version of what an agent reports ("0.9.0+4f2a1c" → "0.9.0"); "" when it reported nothing.</summary>
    public static string OfReported(string? reported)
    {
        var text = reported?.Trim() ?? "";
        var plus = text.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? text[..plus] : text;
    }

    [GeneratedRegex(@"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\z")]
    private static partial Regex PackageVersion();
}

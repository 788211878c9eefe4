using System.Text.RegularExpressions;

namespace Fleet;

/// <summary>
/// fleet-agent's version as Fleet builds and packages it (VersionPrefix, packaging/build.sh --version):
/// X.Y.Z, each part 0 or a number without a leading zero, at most 9 digits; no "v", no suffix. One rule for
/// the catalog and the recipe (coordinator) and for every version an upgrade step brings (agent), where
/// it reaches file names, unit arguments and the watchdog's record.
/// </summary>
public static partial class AgentPackageVersion
{
    public static bool IsValid(string? text) => text is not null && Pattern().IsMatch(text);

    [GeneratedRegex(@"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\z")]
    private static partial Regex Pattern();
}

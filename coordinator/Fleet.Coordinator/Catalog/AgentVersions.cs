namespace Fleet.Coordinator.Catalog;

/// <summary>
/// fleet-agent's versions as Fleet builds them: the Debian package's Version, X.Y.Z (<see cref="AgentPackageVersion"/>).
/// An agent reports its version in its facts, possibly with a
/// "+build" suffix (the informational version); the package version is what comes before it.
/// </summary>
public static class AgentVersions
{
    /// <summary>The package version of what an agent reports ("0.9.0+4f2a1c" → "0.9.0"); "" when it reported nothing.</summary>
    public static string OfReported(string? reported)
    {
        var text = reported?.Trim() ?? "";
        var plus = text.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? text[..plus] : text;
    }
}

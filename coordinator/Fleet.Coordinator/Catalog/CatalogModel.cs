namespace Fleet.Coordinator.Catalog;

/// <summary>
/// The artifact catalog: component -> version -> arch -> {url, sha256}. URLs may be templates over
/// {version}, {arch} and {os}; mirrors rewrite URL prefixes for air-gapped sites. An arch absent
/// for a version means "not built" — never "use another arch". See docs/catalog.md.
/// </summary>
public sealed class CatalogDocument
{
    public List<MirrorDocument> Mirrors { get; set; } = [];

    public Dictionary<string, ComponentDocument> Components { get; set; } = [];
}

public sealed class MirrorDocument
{
    public string? Prefix { get; set; }

    public string? Replacement { get; set; }
}

public sealed class ComponentDocument
{
    /// <summary>binary (a single executable file), cni-plugins (a tarball of plugins) or deb (fleet-agent's Debian package).</summary>
    public string? Kind { get; set; }

    /// <summary>URL template shared by every version and arch, unless an entry gives its own.</summary>
    public string? Url { get; set; }

    public Dictionary<string, Dictionary<string, ArtifactDocument>> Versions { get; set; } = [];
}

public sealed class ArtifactDocument
{
    public string? Url { get; set; }

    public string? Sha256 { get; set; }
}

public static class ComponentKinds
{
    public const string Binary = "binary";
    public const string CniPlugins = "cni-plugins";

    /// <summary>A Debian package, not an executable: only the <see cref="AgentComponent"/> component, installed by the
    /// agent's upgrade-agent step (docs/agent-upgrades.md), never by a download, install-cni or prefetch step.</summary>
    public const string Deb = "deb";

    public static readonly string[] All = [Binary, CniPlugins, Deb];

    /// <summary>The one component of kind <see cref="Deb"/>: Fleet installs no other package.</summary>
    public const string AgentComponent = "fleet-agent";

    /// <summary>The agent's bare executable (kind <see cref="Binary"/>, one Native AOT fleet-agent per arch), for nodes installed
    /// without the package: side-by-side versions and an atomic switch (docs/agent-upgrades.md).</summary>
    public const string AgentBinaryComponent = "fleet-agent-binary";

    /// <summary>fleet-agent or fleet-agent-binary: its version keys are the agent's (X.Y.Z, <see cref="AgentVersions"/>).</summary>
    public static bool IsAgentComponent(string name) => name is AgentComponent or AgentBinaryComponent;
}

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
    /// <summary>binary (a single executable file) or cni-plugins (a tarball of plugins).</summary>
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
    public static readonly string[] All = [Binary, CniPlugins];
}

using System.Text.RegularExpressions;
using Fleet.V1;
using Fleet.Coordinator.Yaml;

namespace Fleet.Coordinator.Catalog;

/// <summary>Parses catalog YAML and lists every problem by its path; a catalog with problems is never stored.</summary>
public static partial class CatalogParser
{
    public static (CatalogDocument? Catalog, IReadOnlyList<string> Problems) Parse(string yaml)
    {
        var problems = new List<string>();
        var doc = YamlBinder.Bind<CatalogDocument>(yaml, problems);
        if (doc is null)
        {
            return (null, problems.Count > 0 ? problems : ["the catalog is empty"]);
        }

        problems.AddRange(Validate(doc));
        return (problems.Count == 0 ? doc : null, problems);
    }

    public static List<string> Validate(CatalogDocument doc)
    {
        var problems = new List<string>();
        for (var i = 0; i < doc.Mirrors.Count; i++)
        {
            var m = doc.Mirrors[i];
            if (!IsHttpUrl(m.Prefix))
            {
                problems.Add($"mirrors[{i}].prefix: not an http:// or https:// URL");
            }

            if (!IsHttpUrl(m.Replacement))
            {
                problems.Add($"mirrors[{i}].replacement: not an http:// or https:// URL");
            }
        }

        if (doc.Components.Count == 0)
        {
            problems.Add("components: none");
        }

        foreach (var (name, component) in doc.Components)
        {
            var at = $"components.{name}";
            if (component is null)
            {
                problems.Add($"{at}: empty");
                continue;
            }

            if (component.Kind is null || !ComponentKinds.All.Contains(component.Kind))
            {
                problems.Add($"{at}.kind: {(component.Kind is null ? "missing" : $"\"{component.Kind}\" is not a kind")} ({string.Join(", ", ComponentKinds.All)})");
            }

            problems.AddRange(AgentPackageProblems(at, name, component));
            if (component.Url is not null)
            {
                problems.AddRange(TemplateProblems($"{at}.url", component.Url));
            }

            if (component.Versions.Count == 0)
            {
                problems.Add($"{at}.versions: none");
            }

            foreach (var (version, arches) in component.Versions)
            {
                if (component.Kind == ComponentKinds.Deb || ComponentKinds.IsAgentComponent(name))
                {
                    if (!AgentPackageVersion.IsValid(version))
                    {
                        problems.Add($"{at}.versions.{version}: not a {ComponentKinds.AgentComponent} version such as 0.9.1 (X.Y.Z, no v)");
                    }
                }
                else if (!VersionPattern().IsMatch(version))
                {
                    problems.Add($"{at}.versions.{version}: not a version such as v1.2.3");
                }

                if (arches is null || arches.Count == 0)
                {
                    problems.Add($"{at}.versions.{version}: no architecture");
                }

                foreach (var (arch, artifact) in arches ?? [])
                {
                    var path = $"{at}.versions.{version}.{arch}";
                    if (!ArchNames.TryParse(arch, out _))
                    {
                        problems.Add($"{path}: \"{arch}\" is not an architecture (amd64, arm64, arm)");
                    }

                    if (artifact is null)
                    {
                        problems.Add($"{path}: empty");
                        continue;
                    }

                    if (artifact.Sha256 is null)
                    {
                        problems.Add($"{path}.sha256: missing");
                    }
                    else if (!Sha256Text.IsValid(artifact.Sha256))
                    {
                        problems.Add($"{path}.sha256: not 64 hex characters");
                    }

                    if (artifact.Url is not null)
                    {
                        problems.AddRange(TemplateProblems($"{path}.url", artifact.Url));
                    }
                    else if (component.Url is null)
                    {
                        problems.Add($"{path}.url: missing, and {at}.url gives no template");
                    }
                }
            }
        }

        return problems;
    }

    /// <summary>fleet-agent is a Debian package (kind deb) and a deb is fleet-agent: the only package Fleet installs is its own agent.
    /// fleet-agent-binary is the agent's bare executable (kind binary), for nodes installed without the package.</summary>
    private static IEnumerable<string> AgentPackageProblems(string at, string name, ComponentDocument component)
    {
        if (name == ComponentKinds.AgentComponent && component.Kind is not null && component.Kind != ComponentKinds.Deb)
        {
            yield return $"{at}.kind: {ComponentKinds.AgentComponent} is the agent's Debian package: its kind is {ComponentKinds.Deb}, not \"{component.Kind}\"";
        }
        else if (name == ComponentKinds.AgentBinaryComponent && component.Kind is not null && component.Kind != ComponentKinds.Binary)
        {
            yield return $"{at}.kind: {ComponentKinds.AgentBinaryComponent} is the agent's bare executable (for nodes installed without the package): its kind is {ComponentKinds.Binary}, not \"{component.Kind}\"";
        }
        else if (component.Kind == ComponentKinds.Deb && name != ComponentKinds.AgentComponent)
        {
            yield return $"{at}.kind: {ComponentKinds.Deb} is for the {ComponentKinds.AgentComponent} component only (Fleet installs no other Debian package); \"{name}\" cannot be a {ComponentKinds.Deb}";
        }
    }

    private static IEnumerable<string> TemplateProblems(string path, string template)
    {
        foreach (Match m in PlaceholderPattern().Matches(template))
        {
            if (m.Value is not ("{version}" or "{arch}" or "{os}"))
            {
                yield return $"{path}: unknown placeholder {m.Value} (known: {{version}}, {{arch}}, {{os}})";
            }
        }

        var filled = PlaceholderPattern().Replace(template, "x");
        if (filled.Contains('{', StringComparison.Ordinal) || filled.Contains('}', StringComparison.Ordinal))
        {
            // A brace left over is a placeholder with a typo ("{versi"): it would end up in the URL (found by CatalogParserMutationTests).
            yield return $"{path}: an unmatched {{ or }} (placeholders are {{version}}, {{arch}}, {{os}})";
        }
        else if (!IsHttpUrl(filled))
        {
            yield return $"{path}: not an http:// or https:// URL";
        }
    }

    private static bool IsHttpUrl(string? s) =>
        Uri.TryCreate(s, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps);

    [GeneratedRegex(@"^v\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex PlaceholderPattern();
}

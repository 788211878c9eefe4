using YamlDotNet.RepresentationModel;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>
/// What a kubeconfig may hold before the coordinator hands it to KubernetesClient: credentials written in the file
/// itself, nothing that runs a program or reads another file. KubernetesClient runs a user's `exec` command (and an
/// `auth-provider`'s `cmd-path`) while it loads the file, as the coordinator's user; and `client-certificate`,
/// `client-key`, `certificate-authority` or `tokenFile` would make the coordinator read whatever path they name.
/// So every user and cluster entry is checked against an allow-list of keys, on the YAML as written (anchors and
/// merge keys included), before anything is stored or loaded; every refused key is named with its entry.
/// `kubectl config view --flatten --minify` writes a kubeconfig that passes.
/// </summary>
public static class KubeconfigPolicy
{
    /// <summary>Keys of users[].user Fleet accepts: inline credentials only.</summary>
    public static readonly IReadOnlySet<string> UserKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "token", "client-certificate-data", "client-key-data", "username", "password", "as", "as-uid", "as-groups", "as-user-extra", "extensions",
    };

    /// <summary>Keys of clusters[].cluster Fleet accepts.</summary>
    public static readonly IReadOnlySet<string> ClusterKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "server", "certificate-authority-data", "tls-server-name", "insecure-skip-tls-verify", "disable-compression", "extensions",
    };

    private const string Fix = "give it inline credentials (token, or client-certificate-data and client-key-data; certificate-authority-data): kubectl config view --flatten --minify";

    /// <summary>Every reason the kubeconfig is refused; empty when it may be loaded.</summary>
    public static List<string> Problems(string content)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(content));
        var problems = new List<string>();
        if (stream.Documents.Count != 1)
        {
            problems.Add($"it holds {stream.Documents.Count} YAML documents; a kubeconfig is one");
            return problems;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            problems.Add("it is not a YAML mapping");
            return problems;
        }

        CheckEntries(root, "users", "user", UserKeys, problems);
        CheckEntries(root, "clusters", "cluster", ClusterKeys, problems);
        return problems;
    }

    private static void CheckEntries(YamlMappingNode root, string list, string inner, IReadOnlySet<string> allowed, List<string> problems)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode(list), out var entries) || entries is YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            return;
        }

        if (entries is not YamlSequenceNode sequence)
        {
            problems.Add($"{list} is not a list");
            return;
        }

        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var where = $"{list}[{i}]";
            if (sequence.Children[i] is not YamlMappingNode entry)
            {
                problems.Add($"{where} is not a mapping");
                continue;
            }

            var name = entry.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode { Value: { } v } ? v : "";
            var label = $"{inner} \"{name}\" ({where})";
            foreach (var key in entry.Children.Keys.Select(Describe).Where(k => k != "name" && k != inner))
            {
                problems.Add($"{label} has {Why(key, ["name", inner])}");
            }

            if (!entry.Children.TryGetValue(new YamlScalarNode(inner), out var body) || body is YamlScalarNode { Value: null or "" or "~" or "null" })
            {
                continue;
            }

            if (body is not YamlMappingNode details)
            {
                problems.Add($"{label}: {inner} is not a mapping");
                continue;
            }

            foreach (var key in details.Children.Keys.Select(Describe).Where(k => !allowed.Contains(k)))
            {
                problems.Add($"{label} has {Why(key, allowed)}");
            }

            // The API server gets the credentials: only over TLS, to an address that is a URL.
            if (inner == "cluster" && details.Children.TryGetValue(new YamlScalarNode("server"), out var server)
                && (server is not YamlScalarNode { Value: { } url } || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "https" || uri.Host.Length == 0))
            {
                problems.Add($"{label}: server {Describe(server)} is not an https:// URL");
            }
        }
    }

    private static string Why(string key, IEnumerable<string> allowed) => key switch
    {
        "exec" => $"exec: Fleet never runs a command from a kubeconfig; {Fix}",
        "auth-provider" => $"auth-provider: Fleet never runs a credential plugin from a kubeconfig; {Fix}",
        "tokenFile" or "client-certificate" or "client-key" or "certificate-authority" => $"{key}: Fleet reads no file a kubeconfig names; {Fix}",
        "<<" => "a YAML merge key (<<): write the keys out",
        _ => $"\"{key}\", which Fleet does not accept (allowed: {string.Join(", ", allowed.Order(StringComparer.Ordinal))})",
    };

    private static string Describe(YamlNode node) => node is YamlScalarNode { Value: { } v } ? v : $"a {node.NodeType.ToString().ToLowerInvariant()} as a key";
}

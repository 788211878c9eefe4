using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Testing.Kubernetes;

// API discovery as the real API server answers it (what kubectl reads before anything else): /version, /api,
// /apis, and one APIResourceList per group version, listing only the resources and verbs the double serves.
public sealed partial class FakeKubeApiServer
{
    /// <summary>The verbs every resource of the double answers (no PUT update, no deletecollection).</summary>
    private static readonly string[] ServedVerbs = ["create", "delete", "get", "list", "patch", "watch"];

    /// <summary>Short names and categories as the real API server lists them.</summary>
    private static readonly Dictionary<string, (string[] ShortNames, string[] Categories)> ResourceAliases = new(StringComparer.Ordinal)
    {
        ["nodes"] = (["no"], []),
        ["pods"] = (["po"], ["all"]),
        ["secrets"] = ([], []),
        ["configmaps"] = (["cm"], []),
        ["daemonsets"] = (["ds"], ["all"]),
        ["deployments"] = (["deploy"], ["all"]),
        ["poddisruptionbudgets"] = (["pdb"], []),
    };

    /// <summary>Answers a discovery path; false when the path is not one.</summary>
    private async Task<bool> TryDiscoveryAsync(HttpContext ctx, string[] segments)
    {
        if (ctx.Request.Method != "GET")
        {
            return false;
        }

        JsonObject? answer = segments switch
        {
            ["version"] => VersionInfo(),
            ["api"] => new JsonObject
            {
                ["kind"] = "APIVersions",
                ["versions"] = new JsonArray("v1"),
                ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = Url.Authority }),
            },
            ["apis"] => GroupList(),
            ["api", "v1"] => ResourceList("v1"),
            ["apis", var group, var version] when Resources.Values.Any(r => r.GroupVersion == $"{group}/{version}") => ResourceList($"{group}/{version}"),
            ["apis", var group] when Groups().Contains(group) => Group(group),
            _ => null,
        };
        if (answer is null)
        {
            return false;
        }

        await WriteAsync(ctx, 200, answer);
        return true;
    }

    private JsonObject VersionInfo()
    {
        var v = ServerVersion.TrimStart('v').Split('.');
        return new JsonObject
        {
            ["major"] = v[0], ["minor"] = v.Length > 1 ? v[1] : "0", ["gitVersion"] = ServerVersion, ["gitCommit"] = "0000000", ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-01-01T00:00:00Z", ["goVersion"] = "go1.22.0", ["compiler"] = "gc", ["platform"] = "linux/amd64",
        };
    }

    private static IEnumerable<string> Groups() =>
        Resources.Values.Select(r => r.GroupVersion).Where(gv => gv.Contains('/', StringComparison.Ordinal)).Select(gv => gv.Split('/')[0]).Distinct().Order(StringComparer.Ordinal);

    private static JsonObject Group(string name)
    {
        // One served version per group, which is then also the preferred one.
        var version = Resources.Values.First(r => r.GroupVersion.StartsWith(name + "/", StringComparison.Ordinal)).GroupVersion;
        JsonObject Version() => new() { ["groupVersion"] = version, ["version"] = version.Split('/')[1] };
        return new JsonObject { ["kind"] = "APIGroup", ["apiVersion"] = "v1", ["name"] = name, ["versions"] = new JsonArray(Version()), ["preferredVersion"] = Version() };
    }

    private static JsonObject GroupList()
    {
        var groups = Groups().Select(g =>
        {
            var group = Group(g);
            group.Remove("kind");
            group.Remove("apiVersion");
            return (JsonNode)group;
        });
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = new JsonArray(groups.ToArray()) };
    }

    private static JsonObject ResourceList(string groupVersion)
    {
        var resources = new JsonArray();
        foreach (var (name, info) in Resources.Where(r => r.Value.GroupVersion == groupVersion).OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var (shortNames, categories) = ResourceAliases[name];
            var resource = new JsonObject
            {
                ["name"] = name,
                ["singularName"] = "",
                ["namespaced"] = info.Namespaced,
                ["kind"] = info.Kind,
                ["verbs"] = new JsonArray(ServedVerbs.Select(v => (JsonNode)v).ToArray()),
            };
            if (shortNames.Length > 0)
            {
                resource["shortNames"] = new JsonArray(shortNames.Select(s => (JsonNode)s).ToArray());
            }

            if (categories.Length > 0)
            {
                resource["categories"] = new JsonArray(categories.Select(s => (JsonNode)s).ToArray());
            }

            resources.Add(resource);
            if (name == "pods")
            {
                // The eviction subresource: kubectl drain looks for it (kind Eviction in group policy) before evicting.
                var policy = Resources["poddisruptionbudgets"].GroupVersion.Split('/');
                resources.Add(new JsonObject
                {
                    ["name"] = "pods/eviction", ["singularName"] = "", ["namespaced"] = true, ["group"] = policy[0], ["version"] = policy[1],
                    ["kind"] = "Eviction", ["verbs"] = new JsonArray("create"),
                });
            }
        }

        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = groupVersion, ["resources"] = resources };
    }
}

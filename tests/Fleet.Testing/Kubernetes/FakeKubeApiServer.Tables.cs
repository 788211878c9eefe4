using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Testing.Kubernetes;

// Server-side printing: a client that asks for a meta.k8s.io/v1 Table (kubectl get does) gets one, as from the
// real API server: the node columns of its node printer, "Name" and "Created At" for the other resources.
public sealed partial class FakeKubeApiServer
{
    private static bool WantsTable(HttpContext ctx) =>
        ctx.Request.Headers.Accept.ToString().Split(',').Any(a => a.Replace(" ", "", StringComparison.Ordinal).StartsWith("application/json;as=Table;v=v1;g=meta.k8s.io", StringComparison.Ordinal));

    private static JsonObject Table(string resource, IEnumerable<JsonObject> objects, long resourceVersion)
    {
        var nodes = resource == "nodes";
        JsonObject Column(string name, string description, int priority = 0, string format = "") =>
            new() { ["name"] = name, ["type"] = "string", ["format"] = format, ["description"] = description, ["priority"] = priority };
        JsonArray columns = nodes
            ?
            [
                Column("Name", "Name must be unique within a namespace.", format: "name"),
                Column("Status", "The status of the node"),
                Column("Roles", "The roles of the node"),
                Column("Age", "CreationTimestamp is a timestamp representing the server time when this object was created."),
                Column("Version", "Kubelet Version reported by the node."),
                Column("Internal-IP", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
                Column("External-IP", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
                Column("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
                Column("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
                Column("Container-Runtime", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
            ]
            :
            [
                Column("Name", "Name must be unique within a namespace.", format: "name"),
                Column("Created At", "CreationTimestamp is a timestamp representing the server time when this object was created.", format: "date"),
            ];
        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var metadata = obj["metadata"]!.AsObject();
            var cells = nodes ? NodeCells(obj) : [(string)metadata["name"]!, (string?)metadata["creationTimestamp"] ?? ""];
            rows.Add(new JsonObject
            {
                ["cells"] = new JsonArray(cells.Select(c => (JsonNode)c).ToArray()),
                ["object"] = new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = metadata.DeepClone() },
            });
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["columnDefinitions"] = columns,
            ["rows"] = rows,
        };
    }

    /// <summary>The cells of the real node printer: Ready/NotReady (plus SchedulingDisabled), roles from node-role.kubernetes.io/ labels, age, kubelet version.</summary>
    private static string[] NodeCells(JsonObject node)
    {
        var metadata = node["metadata"]!;
        var ready = node["status"]?["conditions"]?.AsArray().FirstOrDefault(c => (string?)c?["type"] == "Ready");
        var status = ready is null ? "Unknown" : (string?)ready["status"] == "True" ? "Ready" : "NotReady";
        if ((bool?)node["spec"]?["unschedulable"] == true)
        {
            status += ",SchedulingDisabled";
        }

        var roles = (metadata["labels"] as JsonObject ?? [])
            .Where(l => l.Key.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal))
            .Select(l => l.Key["node-role.kubernetes.io/".Length..]).ToList();
        string Address(string type) =>
            (string?)node["status"]?["addresses"]?.AsArray().FirstOrDefault(a => (string?)a?["type"] == type)?["address"] ?? "<none>";
        var info = node["status"]?["nodeInfo"];
        return
        [
            (string)metadata["name"]!,
            status,
            roles.Count == 0 ? "<none>" : string.Join(',', roles),
            Age((string?)metadata["creationTimestamp"]),
            (string?)info?["kubeletVersion"] ?? "",
            Address("InternalIP"),
            Address("ExternalIP"),
            (string?)info?["osImage"] ?? "<unknown>",
            (string?)info?["kernelVersion"] ?? "<unknown>",
            (string?)info?["containerRuntimeVersion"] ?? "<unknown>",
        ];
    }

    /// <summary>Like the API server's duration.HumanDuration: 45s, 3m20s, 5h, 2d3h, 30d.</summary>
    private static string Age(string? creationTimestamp)
    {
        if (!DateTimeOffset.TryParse(creationTimestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
        {
            return "<unknown>";
        }

        var d = DateTimeOffset.UtcNow - created;
        if (d < TimeSpan.Zero)
        {
            d = TimeSpan.Zero;
        }

        return d switch
        {
            _ when d.TotalSeconds < 120 => $"{(int)d.TotalSeconds}s",
            _ when d.TotalMinutes < 10 => $"{(int)d.TotalMinutes}m{d.Seconds}s",
            _ when d.TotalHours < 3 => $"{(int)d.TotalMinutes}m",
            _ when d.TotalHours < 8 => $"{(int)d.TotalHours}h{d.Minutes}m",
            _ when d.TotalHours < 48 => $"{(int)d.TotalHours}h",
            _ when d.TotalDays < 8 => $"{(int)d.TotalDays}d{d.Hours}h",
            _ => $"{(int)d.TotalDays}d",
        };
    }
}

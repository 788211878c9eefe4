using System.Text.Json.Nodes;

namespace Fleet.Testing.Kubernetes;

// fieldSelector: only the fields the real API server accepts per resource, '=', '==' and '!='.
public sealed partial class FakeKubeApiServer
{
    /// <summary>The fields the real API server accepts in a fieldSelector, per resource.</summary>
    private static readonly Dictionary<string, string[]> SelectableFields = new(StringComparer.Ordinal)
    {
        ["nodes"] = ["metadata.name", "spec.unschedulable"],
        ["pods"] = ["metadata.name", "metadata.namespace", "spec.nodeName", "status.phase", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName"],
        ["secrets"] = ["metadata.name", "metadata.namespace", "type"],
    };

    private static bool TryFieldSelector(string resource, string selector, out Func<JsonObject, bool> filter, out string error)
    {
        filter = _ => true;
        error = "";
        if (selector.Length == 0)
        {
            return true;
        }

        var tests = new List<Func<JsonObject, bool>>();
        foreach (var term in selector.Split(','))
        {
            var negate = term.Contains("!=", StringComparison.Ordinal);
            var parts = term.Split(negate ? "!=" : term.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2);
            if (parts.Length != 2)
            {
                error = $"invalid selector: '{selector}'; can't understand '{term}'";
                return false;
            }

            var (field, value) = (parts[0].Trim(), parts[1].Trim());
            if (!SelectableFields.GetValueOrDefault(resource, ["metadata.name", "metadata.namespace"]).Contains(field))
            {
                error = $"field label not supported: {field}";
                return false;
            }

            tests.Add(o => (FieldValue(o, field) == value) != negate);
        }

        filter = o => tests.All(t => t(o));
        return true;
    }

    private static string FieldValue(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var part in path.Split('.'))
        {
            node = node?[part];
        }

        return node switch
        {
            null => "",
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            _ => node.ToString(),
        };
    }
}

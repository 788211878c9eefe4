using System.Text.Json;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Notifications;

/// <summary>
/// The JSON body of a delivery (docs/rollouts.md, "Notifications"):
/// `{"id", "event", "at", "rollout": {"id", "name", "recipe", "state", "reason", "nodes": {STATE: COUNT}}, "node"?, "batch"?, "message"}`.
/// </summary>
public static class WebhookPayload
{
    public static byte[] Build(string id, WebhookEvent e, RolloutChange change, string message, string node, int batch)
    {
        var run = change.Run;
        var (name, recipe, state, reason, nodes) = run.Read(v => (
            v.Name, v.Recipe, v.State.ToName(), v.Reason,
            v.Nodes.GroupBy(n => n.State.ToName()).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count())).ToList()));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("event", e.ToName());
            json.WriteString("at", change.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteStartObject("rollout");
            json.WriteString("id", run.Id);
            json.WriteString("name", name);
            json.WriteString("recipe", recipe);
            json.WriteString("state", state);
            json.WriteString("reason", reason);
            json.WriteStartObject("nodes");
            foreach (var (key, count) in nodes)
            {
                json.WriteNumber(key, count);
            }

            json.WriteEndObject();
            json.WriteEndObject();
            if (node.Length > 0)
            {
                json.WriteString("node", node);
            }

            if (batch > 0)
            {
                json.WriteNumber("batch", batch);
            }

            json.WriteString("message", message);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

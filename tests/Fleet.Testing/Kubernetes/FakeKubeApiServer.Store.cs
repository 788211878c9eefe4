using System.Globalization;
using System.Text.Json.Nodes;

namespace Fleet.Testing.Kubernetes;

// The double's storage: objects by resource/namespace/name, one resourceVersion counter, a history of changes for watches.
public sealed partial class FakeKubeApiServer
{
    private static string Key(string resource, string? ns, string name) => $"{resource}/{ns ?? ""}/{name}";

    private IEnumerable<JsonObject> Matching(string resource, string? ns, Func<JsonObject, bool> filter) =>
        _objects.Where(o => o.Key.StartsWith(resource + "/", StringComparison.Ordinal)
                && (ns is null || o.Value["metadata"]?["namespace"]?.GetValue<string>() == ns)
                && filter(o.Value))
            .Select(o => o.Value);

    private static bool Matches(Watcher watcher, WatchEvent e) =>
        e.Resource == watcher.Resource
        && (watcher.Namespace is null || e.Object["metadata"]?["namespace"]?.GetValue<string>() == watcher.Namespace)
        && watcher.Filter(e.Object);

    /// <summary>Creates or replaces an object: uid and creationTimestamp when new, a new resourceVersion always, an ADDED or MODIFIED event. Caller holds the lock.</summary>
    private JsonObject PutLocked(string resource, string? ns, JsonObject obj)
    {
        var info = Resources[resource];
        var metadata = obj["metadata"]!.AsObject();
        var name = metadata["name"]!.GetValue<string>();
        var key = Key(resource, info.Namespaced ? ns : null, name);
        var exists = _objects.ContainsKey(key);
        if (!exists)
        {
            metadata["uid"] ??= Guid.NewGuid().ToString();
            metadata["creationTimestamp"] ??= Now();
        }

        if (info.Namespaced)
        {
            metadata["namespace"] = ns;
        }

        obj["kind"] = info.Kind;
        obj["apiVersion"] = info.GroupVersion;
        metadata["resourceVersion"] = (++_resourceVersion).ToString(CultureInfo.InvariantCulture);
        _objects[key] = obj;
        Emit(resource, exists ? "MODIFIED" : "ADDED", obj);
        return obj;
    }

    /// <summary>Removes an object with a DELETED event; null when there was none. Caller holds the lock.</summary>
    private JsonObject? DeleteLocked(string resource, string? ns, string name)
    {
        var key = Key(resource, Resources[resource].Namespaced ? ns : null, name);
        if (!_objects.Remove(key, out var obj))
        {
            return null;
        }

        obj["metadata"]!["resourceVersion"] = (++_resourceVersion).ToString(CultureInfo.InvariantCulture);
        _deletions.Add($"{resource} {(ns is null ? "" : ns + "/")}{name}");
        Emit(resource, "DELETED", obj);
        return obj;
    }

    private void Emit(string resource, string type, JsonObject obj)
    {
        var e = new WatchEvent(_resourceVersion, resource, type, (JsonObject)obj.DeepClone());
        _history.Add(e);
        foreach (var watcher in _watchers.Where(w => Matches(w, e)))
        {
            watcher.Events.Writer.TryWrite(e);
        }
    }
}

using System.Text.Json.Nodes;

namespace Fleet.Testing.Kubernetes;

/// <summary>The three patch kinds the Kubernetes API accepts, applied to JSON objects the way the API server applies them.</summary>
public static class JsonPatching
{
    /// <summary>Strategic-merge list keys for the fields Fleet's objects carry (as in the Kubernetes types' patchMergeKey).</summary>
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["conditions"] = "type",
        ["taints"] = "key",
        ["addresses"] = "type",
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["volumes"] = "name",
        ["tolerations"] = "key",
        ["ownerReferences"] = "uid",
    };

    /// <summary>RFC 7386: objects merge recursively, null removes, anything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch, bool strategic = false, string? field = null)
    {
        if (patch is JsonArray patchArray && strategic && target is JsonArray targetArray && field is not null && MergeKeys.TryGetValue(field, out var key))
        {
            return MergeList(targetArray, patchArray, key);
        }

        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (strategic && name.StartsWith('$'))
            {
                throw new PatchException($"strategic merge patch directive {name} is not supported by this test double");
            }

            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                var merged = MergePatch(result[name], value, strategic, name);
                result.Remove(name);
                result[name] = merged;
            }
        }

        return result;
    }

    private static JsonArray MergeList(JsonArray target, JsonArray patch, string key)
    {
        var result = (JsonArray)target.DeepClone();
        foreach (var item in patch)
        {
            if (item is not JsonObject patchItem || patchItem[key]?.ToString() is not { } id)
            {
                throw new PatchException($"a strategic merge list item lacks its merge key \"{key}\"");
            }

            var existing = result.OfType<JsonObject>().FirstOrDefault(o => o[key]?.ToString() == id);
            if (existing is null)
            {
                result.Add(patchItem.DeepClone());
            }
            else
            {
                var index = result.IndexOf(existing);
                result[index] = MergePatch(existing, patchItem, strategic: true);
            }
        }

        return result;
    }

    /// <summary>RFC 6902 (add, remove, replace, move, copy, test); a failed test or a bad path throws <see cref="PatchException"/>.</summary>
    public static JsonNode JsonPatch(JsonNode target, JsonArray operations)
    {
        var doc = target.DeepClone();
        foreach (var op in operations)
        {
            if (op is not JsonObject o || o["op"]?.GetValue<string>() is not { } kind || o["path"]?.GetValue<string>() is not { } path)
            {
                throw new PatchException("a JSON patch operation needs \"op\" and \"path\"");
            }

            switch (kind)
            {
                case "add":
                    doc = Add(doc, path, o["value"]?.DeepClone());
                    break;
                case "remove":
                    Remove(doc, path);
                    break;
                case "replace":
                    Remove(doc, path);
                    doc = Add(doc, path, o["value"]?.DeepClone());
                    break;
                case "move":
                case "copy":
                    var from = o["from"]?.GetValue<string>() ?? throw new PatchException($"{kind} needs \"from\"");
                    var value = Get(doc, from)?.DeepClone();
                    if (kind == "move")
                    {
                        Remove(doc, from);
                    }

                    doc = Add(doc, path, value);
                    break;
                case "test":
                    var actual = Get(doc, path);
                    if (!JsonNode.DeepEquals(actual, o["value"]))
                    {
                        throw new PatchException($"testing value {path} failed");
                    }

                    break;
                default:
                    throw new PatchException($"unknown JSON patch operation \"{kind}\"");
            }
        }

        return doc;
    }

    private static string[] Tokens(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }

        if (path[0] != '/')
        {
            throw new PatchException($"\"{path}\" is not a JSON pointer");
        }

        return path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    private static JsonNode? Get(JsonNode doc, string path)
    {
        JsonNode? node = doc;
        foreach (var token in Tokens(path))
        {
            node = node switch
            {
                JsonObject obj when obj.ContainsKey(token) => obj[token],
                JsonArray arr when int.TryParse(token, out var i) && i >= 0 && i < arr.Count => arr[i],
                _ => throw new PatchException($"path {path} does not exist"),
            };
        }

        return node;
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode doc, string path)
    {
        var tokens = Tokens(path);
        if (tokens.Length == 0)
        {
            throw new PatchException("the whole document cannot be the target here");
        }

        var parent = Get(doc, "/" + string.Join('/', tokens[..^1].Select(t => t.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        if (tokens.Length == 1)
        {
            parent = doc;
        }

        return (parent ?? throw new PatchException($"the parent of {path} is null"), tokens[^1]);
    }

    private static JsonNode Add(JsonNode doc, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            return value ?? throw new PatchException("cannot replace the document with null");
        }

        var (parent, last) = Parent(doc, path);
        switch (parent)
        {
            case JsonObject obj:
                obj.Remove(last);
                obj[last] = value;
                break;
            case JsonArray arr when last == "-":
                arr.Add(value);
                break;
            case JsonArray arr when int.TryParse(last, out var i) && i >= 0 && i <= arr.Count:
                arr.Insert(i, value);
                break;
            default:
                throw new PatchException($"cannot add at {path}");
        }

        return doc;
    }

    private static void Remove(JsonNode doc, string path)
    {
        var (parent, last) = Parent(doc, path);
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(last):
                obj.Remove(last);
                break;
            case JsonArray arr when int.TryParse(last, out var i) && i >= 0 && i < arr.Count:
                arr.RemoveAt(i);
                break;
            default:
                throw new PatchException($"path {path} does not exist");
        }
    }
}

public sealed class PatchException(string message) : Exception(message);

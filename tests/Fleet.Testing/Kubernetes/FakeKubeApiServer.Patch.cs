using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Testing.Kubernetes;

// PATCH: JSON patch, merge patch and strategic merge patch, with resourceVersion preconditions.
public sealed partial class FakeKubeApiServer
{
    private async Task PatchAsync(HttpContext ctx, Route route)
    {
        var contentType = (ctx.Request.ContentType ?? "").Split(';')[0].Trim();
        var text = await new StreamReader(ctx.Request.Body, Encoding.UTF8).ReadToEndAsync(ctx.RequestAborted);
        var (code, response) = ApplyPatch(route, contentType, text);
        lock (_gate)
        {
            _patches.Add(new RecordedPatch(route.Resource, route.Name!, contentType, text, code));
        }

        await WriteAsync(ctx, code, response);
    }

    private (int Code, JsonObject Response) ApplyPatch(Route route, string contentType, string text)
    {
        lock (_gate)
        {
            if (!_objects.TryGetValue(Key(route.Resource, route.Namespace, route.Name!), out var current))
            {
                return (404, NotFound(route));
            }

            var currentVersion = current["metadata"]!["resourceVersion"]!.GetValue<string>();
            JsonObject patched;
            try
            {
                var patch = JsonNode.Parse(text);
                switch (contentType)
                {
                    case "application/json-patch+json" when patch is JsonArray ops:
                        patched = JsonPatching.JsonPatch(current, ops).AsObject();
                        break;
                    case "application/merge-patch+json" or "application/strategic-merge-patch+json" when patch is JsonObject:
                        patched = JsonPatching.MergePatch(current, patch, strategic: contentType.StartsWith("application/strategic", StringComparison.Ordinal))!.AsObject();
                        break;
                    case "application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json":
                        return (400, Status(400, "BadRequest", $"the body of a {contentType} patch has the wrong shape"));
                    default:
                        return (415, Status(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"));
                }
            }
            catch (PatchException ex)
            {
                return (422, Status(422, "Invalid", $"the server rejected our request due to an error in our request: {ex.Message}"));
            }
            catch (JsonException ex)
            {
                return (400, Status(400, "BadRequest", $"the patch is not valid JSON: {ex.Message}"));
            }

            // A resourceVersion in the result is a precondition (optimistic concurrency).
            if (patched["metadata"]?["resourceVersion"]?.GetValue<string>() is { } wanted && wanted != currentVersion)
            {
                return (409, Status(409, "Conflict",
                    $"Operation cannot be fulfilled on {Qualified(route.Resource)} \"{route.Name}\": the object has been modified; please apply your changes to the latest version and try again",
                    Details(route.Resource, route.Name!)));
            }

            if (patched["metadata"]?["name"]?.GetValue<string>() != route.Name)
            {
                return (422, Status(422, "Invalid", "metadata.name: Invalid value: field is immutable"));
            }

            patched["metadata"]!["resourceVersion"] = currentVersion;
            if (JsonNode.DeepEquals(patched, current))
            {
                return (200, (JsonObject)current.DeepClone()); // a no-op patch writes nothing
            }

            return (200, (JsonObject)PutLocked(route.Resource, route.Namespace, patched).DeepClone());
        }
    }
}

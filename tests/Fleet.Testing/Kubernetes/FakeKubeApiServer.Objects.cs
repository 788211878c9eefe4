using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Testing.Kubernetes;

// One object: get, create (secrets fold stringData into data), delete.
public sealed partial class FakeKubeApiServer
{
    private async Task GetAsync(HttpContext ctx, Route route)
    {
        var obj = Get(route.Resource, route.Namespace, route.Name!);
        await (obj is null ? WriteAsync(ctx, 404, NotFound(route))
            : WriteAsync(ctx, 200, WantsTable(ctx) ? Table(route.Resource, [obj], long.Parse((string)obj["metadata"]!["resourceVersion"]!, System.Globalization.CultureInfo.InvariantCulture)) : obj));
    }

    private async Task CreateAsync(HttpContext ctx, Route route)
    {
        var body = await ReadObjectAsync(ctx);
        var name = body["metadata"]?["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            await WriteAsync(ctx, 422, Status(422, "Invalid", $"{Resources[route.Resource].Kind} is invalid: metadata.name: Required value: name or generateName is required"));
            return;
        }

        if (Resources[route.Resource].Namespaced && route.Namespace is null)
        {
            await WriteAsync(ctx, 404, Status(404, "NotFound", "the server could not find the requested resource"));
            return;
        }

        if (route.Resource == "secrets" && body["stringData"] is JsonObject stringData)
        {
            // stringData is write-only: the API server folds it into data (base64) and never returns it.
            var data = body["data"] as JsonObject ?? new JsonObject();
            foreach (var (k, v) in stringData)
            {
                data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes(v!.GetValue<string>()));
            }

            body.Remove("stringData");
            body["data"] = data;
        }

        JsonObject created;
        lock (_gate)
        {
            if (_objects.ContainsKey(Key(route.Resource, route.Namespace, name)))
            {
                created = null!;
            }
            else
            {
                body["metadata"]!.AsObject().Remove("resourceVersion");
                created = (JsonObject)PutLocked(route.Resource, route.Namespace, body).DeepClone();
            }
        }

        await (created is null
            ? WriteAsync(ctx, 409, Status(409, "AlreadyExists", $"{Qualified(route.Resource)} \"{name}\" already exists", Details(route.Resource, name)))
            : WriteAsync(ctx, 201, created));
    }

    private async Task DeleteAsync(HttpContext ctx, Route route)
    {
        JsonObject? deleted;
        lock (_gate)
        {
            deleted = DeleteLocked(route.Resource, route.Namespace, route.Name!);
        }

        if (deleted is null)
        {
            await WriteAsync(ctx, 404, NotFound(route));
        }
        else if (route.Resource == "pods")
        {
            await WriteAsync(ctx, 200, deleted);
        }
        else
        {
            await WriteAsync(ctx, 200, Status(200, "", "", Details(route.Resource, route.Name!)));
        }
    }
}

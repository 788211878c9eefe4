using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Testing.Kubernetes;

// The REST entry: the resources the double serves, authentication, routing of a path and a method to its handler.
public sealed partial class FakeKubeApiServer
{
    private static readonly Dictionary<string, (string GroupVersion, string Kind, bool Namespaced)> Resources = new(StringComparer.Ordinal)
    {
        ["nodes"] = ("v1", "Node", false),
        ["pods"] = ("v1", "Pod", true),
        ["secrets"] = ("v1", "Secret", true),
        ["configmaps"] = ("v1", "ConfigMap", true),
        ["daemonsets"] = ("apps/v1", "DaemonSet", true),
        ["deployments"] = ("apps/v1", "Deployment", true),
        ["poddisruptionbudgets"] = ("policy/v1", "PodDisruptionBudget", true),
    };

    private async Task HandleAsync(HttpContext ctx)
    {
        if (ctx.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
        {
            await WriteAsync(ctx, 401, Status(401, "Unauthorized", "Unauthorized"));
            return;
        }

        var segments = ctx.Request.Path.Value!.Trim('/').Split('/');
        if (await TryDiscoveryAsync(ctx, segments))
        {
            return;
        }

        if (!TryRoute(segments, out var route))
        {
            await WriteAsync(ctx, 404, Status(404, "NotFound", "the server could not find the requested resource"));
            return;
        }

        var method = ctx.Request.Method;
        try
        {
            switch (route)
            {
                case { Name: null } when method == "GET":
                    await ListOrWatchAsync(ctx, route);
                    break;
                case { Name: null } when method == "POST":
                    await CreateAsync(ctx, route);
                    break;
                case { Name: not null, Subresource: null } when method == "GET":
                    await GetAsync(ctx, route);
                    break;
                case { Name: not null, Subresource: null } when method == "DELETE":
                    await DeleteAsync(ctx, route);
                    break;
                case { Name: not null, Subresource: null } when method == "PATCH":
                    await PatchAsync(ctx, route);
                    break;
                case { Resource: "pods", Name: not null, Subresource: "eviction" } when method == "POST":
                    await EvictAsync(ctx, route);
                    break;
                default:
                    await WriteAsync(ctx, 405, Status(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource"));
                    break;
            }
        }
        catch (JsonException ex)
        {
            await WriteAsync(ctx, 400, Status(400, "BadRequest", $"the body is not valid JSON: {ex.Message}"));
        }
    }

    private sealed record Route(string Resource, string? Namespace, string? Name, string? Subresource);

    private static bool TryRoute(string[] s, out Route route)
    {
        route = default!;
        int i;
        string groupVersion;
        if (s.Length >= 3 && s[0] == "api" && s[1] == "v1")
        {
            (i, groupVersion) = (2, "v1");
        }
        else if (s.Length >= 4 && s[0] == "apis")
        {
            (i, groupVersion) = (3, $"{s[1]}/{s[2]}");
        }
        else
        {
            return false;
        }

        string? ns = null;
        if (s.Length >= i + 3 && s[i] == "namespaces")
        {
            ns = s[i + 1];
            i += 2;
        }

        if (i >= s.Length || !Resources.TryGetValue(s[i], out var info) || info.GroupVersion != groupVersion || (ns is not null && !info.Namespaced))
        {
            return false;
        }

        var name = s.Length > i + 1 ? s[i + 1] : null;
        if (name is not null && info.Namespaced && ns is null)
        {
            return false; // a namespaced object is addressed through its namespace
        }

        route = new Route(s[i], ns, name, s.Length > i + 2 ? s[i + 2] : null);
        return s.Length <= i + 3;
    }
}

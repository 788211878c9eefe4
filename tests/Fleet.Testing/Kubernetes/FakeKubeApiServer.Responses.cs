using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Testing.Kubernetes;

// Reading bodies and writing answers: JSON objects and the API server's Status errors.
public sealed partial class FakeKubeApiServer
{
    private static async Task<JsonObject> ReadObjectAsync(HttpContext ctx)
    {
        var node = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
        return node as JsonObject ?? throw new JsonException("the body is not a JSON object");
    }

    private static async Task WriteAsync(HttpContext ctx, int code, JsonObject body)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString(), ctx.RequestAborted);
    }

    private static JsonObject NotFound(Route route) =>
        Status(404, "NotFound", $"{Qualified(route.Resource)} \"{route.Name}\" not found", Details(route.Resource, route.Name!));

    /// <summary>The resource as the real API server names it in messages: "nodes", but "daemonsets.apps".</summary>
    private static string Qualified(string resource) =>
        Resources[resource].GroupVersion.Split('/') is [var group, _] ? $"{resource}.{group}" : resource;

    private static JsonObject Details(string resource, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (Resources[resource].GroupVersion.Split('/') is [var group, _])
        {
            details["group"] = group;
        }

        details["kind"] = resource;
        return details;
    }

    private static JsonObject Status(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = code < 300 ? "Success" : "Failure" };
        if (message.Length > 0)
        {
            status["message"] = message;
        }

        if (reason.Length > 0)
        {
            status["reason"] = reason;
        }

        if (details is not null)
        {
            status["details"] = details;
        }

        status["code"] = code;
        return status;
    }
}

using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace Fleet.Testing.Kubernetes;

// Collections: list (with a fieldSelector) and watch (from a resourceVersion, one JSON event per line).
public sealed partial class FakeKubeApiServer
{
    private async Task ListOrWatchAsync(HttpContext ctx, Route route)
    {
        if (!TryFieldSelector(route.Resource, ctx.Request.Query["fieldSelector"].ToString(), out var filter, out var error))
        {
            await WriteAsync(ctx, 400, Status(400, "BadRequest", error));
            return;
        }

        var watch = ctx.Request.Query["watch"].ToString() is "true" or "1";
        if (watch)
        {
            await WatchAsync(ctx, route, filter);
            return;
        }

        JsonArray items;
        long version;
        lock (_gate)
        {
            items = new JsonArray(Matching(route.Resource, route.Namespace, filter).Select(o => (JsonNode)o.DeepClone()).ToArray());
            version = _resourceVersion;
        }

        if (WantsTable(ctx))
        {
            await WriteAsync(ctx, 200, Table(route.Resource, items.Select(i => i!.AsObject()), version));
            return;
        }

        var info = Resources[route.Resource];
        await WriteAsync(ctx, 200, new JsonObject
        {
            ["kind"] = info.Kind + "List",
            ["apiVersion"] = info.GroupVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["items"] = items,
        });
    }

    /// <summary>
    /// A watch: from a resourceVersion, every later change (from the history); without one (or "0"), the
    /// current objects as ADDED first. Then changes as they happen, one JSON event per line, until the
    /// client goes or timeoutSeconds pass.
    /// </summary>
    private async Task WatchAsync(HttpContext ctx, Route route, Func<JsonObject, bool> filter)
    {
        var from = ctx.Request.Query["resourceVersion"].ToString();
        long fromVersion = 0;
        if (from.Length > 0 && !long.TryParse(from, out fromVersion))
        {
            await WriteAsync(ctx, 400, Status(400, "BadRequest", $"invalid resource version \"{from}\""));
            return;
        }

        var timeout = int.TryParse(ctx.Request.Query["timeoutSeconds"].ToString(), out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(30);
        var watcher = new Watcher(route.Resource, route.Namespace, filter, Channel.CreateUnbounded<WatchEvent>());
        List<WatchEvent> backlog;
        lock (_gate)
        {
            _watchRequests.Add(ctx.Request.Path + ctx.Request.QueryString.Value);
            backlog = fromVersion == 0
                ? Matching(route.Resource, route.Namespace, filter).Select(o => new WatchEvent(_resourceVersion, route.Resource, "ADDED", (JsonObject)o.DeepClone())).ToList()
                : _history.Where(e => e.ResourceVersion > fromVersion && Matches(watcher, e)).ToList();
            _watchers.Add(watcher);
        }

        try
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.StartAsync(ctx.RequestAborted);
            using var until = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
            until.CancelAfter(timeout);
            foreach (var e in backlog)
            {
                await WriteEventAsync(ctx, e, until.Token);
            }

            await foreach (var e in watcher.Events.Reader.ReadAllAsync(until.Token))
            {
                await WriteEventAsync(ctx, e, until.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds passed or the client went away: the watch ends, as the real one does.
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    private static async Task WriteEventAsync(HttpContext ctx, WatchEvent e, CancellationToken ct)
    {
        var line = new JsonObject { ["type"] = e.Type, ["object"] = e.Object.DeepClone() }.ToJsonString() + "\n";
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), ct);
        await ctx.Response.Body.FlushAsync(ct);
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace Fleet.Testing.Kubernetes;

// The REST side of the double: routing, list/watch/get/create/delete/patch, the eviction subresource, Status errors.
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

    /// <summary>The fields the real API server accepts in a fieldSelector, per resource.</summary>
    private static readonly Dictionary<string, string[]> SelectableFields = new(StringComparer.Ordinal)
    {
        ["nodes"] = ["metadata.name", "spec.unschedulable"],
        ["pods"] = ["metadata.name", "metadata.namespace", "spec.nodeName", "status.phase", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName"],
        ["secrets"] = ["metadata.name", "metadata.namespace", "type"],
    };

    private async Task HandleAsync(HttpContext ctx)
    {
        if (ctx.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
        {
            await WriteAsync(ctx, 401, Status(401, "Unauthorized", "Unauthorized"));
            return;
        }

        var segments = ctx.Request.Path.Value!.Trim('/').Split('/');
        if (segments is ["version"])
        {
            var v = ServerVersion.TrimStart('v').Split('.');
            await WriteAsync(ctx, 200, new JsonObject
            {
                ["major"] = v[0], ["minor"] = v.Length > 1 ? v[1] : "0", ["gitVersion"] = ServerVersion, ["gitCommit"] = "0000000", ["gitTreeState"] = "clean",
                ["buildDate"] = "2026-01-01T00:00:00Z", ["goVersion"] = "go1.22.0", ["compiler"] = "gc", ["platform"] = "linux/amd64",
            });
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

    private async Task GetAsync(HttpContext ctx, Route route)
    {
        var obj = Get(route.Resource, route.Namespace, route.Name!);
        await (obj is null ? WriteAsync(ctx, 404, NotFound(route)) : WriteAsync(ctx, 200, obj));
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
            ? WriteAsync(ctx, 409, Status(409, "AlreadyExists", $"{route.Resource} \"{name}\" already exists", Details(route.Resource, name)))
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
                    $"Operation cannot be fulfilled on {route.Resource} \"{route.Name}\": the object has been modified; please apply your changes to the latest version and try again",
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

    /// <summary>
    /// POST pods/NAME/eviction: a pod matched by more than one PodDisruptionBudget is a 500; by one that allows
    /// no disruption now, 429 TooManyRequests; else the budget's disruptionsAllowed drops by one and the pod is
    /// deleted (or left terminating). Pods that already finished are not protected by budgets.
    /// </summary>
    private async Task EvictAsync(HttpContext ctx, Route route)
    {
        var body = await ReadObjectAsync(ctx);
        long? grace = body["deleteOptions"]?["gracePeriodSeconds"]?.GetValue<long>();
        var (code, response) = Evict(route.Namespace!, route.Name!, grace);
        lock (_gate)
        {
            _evictions.Add(new RecordedEviction(route.Namespace!, route.Name!, grace, code));
        }

        await WriteAsync(ctx, code, response);
    }

    private (int, JsonObject) Evict(string ns, string name, long? grace)
    {
        lock (_gate)
        {
            if (!_objects.TryGetValue(Key("pods", ns, name), out var pod))
            {
                return (404, NotFound(new Route("pods", ns, name, null)));
            }

            var phase = pod["status"]?["phase"]?.GetValue<string>();
            var labels = pod["metadata"]?["labels"] as JsonObject ?? [];
            var budgets = Matching("poddisruptionbudgets", ns, _ => true)
                .Where(b => (b["spec"]?["selector"]?["matchLabels"] as JsonObject ?? []).All(m => labels[m.Key]?.GetValue<string>() == m.Value?.GetValue<string>()))
                .ToList();
            if (phase is not ("Succeeded" or "Failed"))
            {
                if (budgets.Count > 1)
                {
                    return (500, Status(500, "InternalError", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."));
                }

                if (budgets.Count == 1)
                {
                    var budget = (JsonObject)budgets[0].DeepClone();
                    var status = budget["status"]!.AsObject();
                    var allowed = status["disruptionsAllowed"]!.GetValue<int>();
                    if (allowed <= 0)
                    {
                        var details = Details("pods", name);
                        details["causes"] = new JsonArray(new JsonObject
                        {
                            ["reason"] = "DisruptionBudget",
                            ["message"] = $"The disruption budget {budget["metadata"]!["name"]} needs {status["desiredHealthy"]} healthy pods and has {status["currentHealthy"]} currently",
                        });
                        return (429, Status(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", details));
                    }

                    status["disruptionsAllowed"] = allowed - 1;
                    PutLocked("poddisruptionbudgets", ns, budget);
                }
            }

            if (KeepEvictedPodsTerminating)
            {
                var terminating = (JsonObject)pod.DeepClone();
                terminating["metadata"]!["deletionTimestamp"] = Now();
                terminating["metadata"]!["deletionGracePeriodSeconds"] = grace ?? 30;
                PutLocked("pods", ns, terminating);
            }
            else
            {
                DeleteLocked("pods", ns, name);
            }

            return (201, Status(201, "", ""));
        }
    }

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
        Status(404, "NotFound", $"{route.Resource} \"{route.Name}\" not found", Details(route.Resource, route.Name!));

    private static JsonObject Details(string resource, string name) => new() { ["name"] = name, ["kind"] = resource };

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

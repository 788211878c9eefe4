using System.Collections.Concurrent;
using System.Net;
using Fleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.Coordinator.Tests.Rollouts.Gates;

/// <summary>
/// A real HTTP server on 127.0.0.1 for the gates: a health endpoint whose status the test flips, and hostile
/// "Prometheus servers" under a path prefix each (the gate asks PREFIX/api/v1/query):
///   /health                     <see cref="HealthStatus"/>, with a small body
///   /huge                       200 with a 64 MiB body, no Content-Length
///   /endless/api/v1/query       200 and a body that never ends
///   /big/api/v1/query           Content-Length of 2 MiB
///   /hang/api/v1/query          no answer until the client gives up
///   /redirect/api/v1/query      302 to file:///etc/passwd
///   /html/api/v1/query          200 with an HTML page
///   /many/api/v1/query          50 series, one with a label value of 100 000 characters and a control character
///   /scalar/api/v1/query        a scalar result
///   /error500/api/v1/query      500 with a Prometheus error of 100 000 characters
/// Every request is counted by path.
/// </summary>
public sealed class GateTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

    private GateTestServer(WebApplication app, int port)
    {
        _app = app;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public string BaseUrl { get; }

    public int HealthStatus { get; set; } = 200;

    public int Requests(string path) => _requests.GetValueOrDefault(path);

    public static async Task<GateTestServer> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var server = new GateTestServer(app, port);
        app.Use(async (context, next) =>
        {
            server._requests.AddOrUpdate(context.Request.Path.Value!, 1, (_, n) => n + 1);
            await next(context);
        });
        app.MapGet("/health", () => Results.Text("ok", statusCode: server.HealthStatus));
        app.MapGet("/huge", (HttpContext c) => EndlessAsync(c, limit: 64 << 20));
        app.MapGet("/endless/api/v1/query", (HttpContext c) => EndlessAsync(c, limit: long.MaxValue));
        app.MapGet("/big/api/v1/query", async (HttpContext c) =>
        {
            c.Response.ContentLength = 2 << 20;
            await c.Response.Body.WriteAsync(new byte[2 << 20], c.RequestAborted);
        });
        app.MapGet("/hang/api/v1/query", (HttpContext c) => Task.Delay(Timeout.Infinite, c.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default));
        app.MapGet("/redirect/api/v1/query", () => Results.Redirect("file:///etc/passwd"));
        app.MapGet("/html/api/v1/query", () => Results.Text("<html><body>login</body></html>", "text/html"));
        app.MapGet("/many/api/v1/query", () =>
        {
            var series = Enumerable.Range(0, 50).Select(i => $$"""{"metric":{"__name__":"bad","i":"{{i}}","x":"{{(i == 0 ? new string('v', 100_000) + "\\u001b[31m" : "y")}}"},"value":[1,"1"]}""");
            return Results.Text($$$"""{"status":"success","data":{"resultType":"vector","result":[{{{string.Join(",", series)}}}]}}""", "application/json");
        });
        app.MapGet("/scalar/api/v1/query", () => Results.Text("""{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}""", "application/json"));
        app.MapGet("/error500/api/v1/query", () => Results.Text($$"""{"status":"error","errorType":"internal","error":"{{new string('e', 100_000)}}"}""", "application/json", statusCode: 500));
        await app.StartAsync();
        return server;
    }

    private static async Task EndlessAsync(HttpContext c, long limit)
    {
        var chunk = new byte[64 * 1024];
        try
        {
            for (long sent = 0; sent < limit && !c.RequestAborted.IsCancellationRequested; sent += chunk.Length)
            {
                await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client hung up: the only way this body ends early.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

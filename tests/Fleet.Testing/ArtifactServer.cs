using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.Testing;

/// <summary>
/// A real HTTP server on loopback that serves artifact files, and misbehaves on request:
///   /files/PATH            the file under the root folder, with Content-Length
///   /chunked/PATH          the same, without Content-Length
///   /flaky/N/PATH          503 for the first N requests of that URL, then the file
///   /stall/PATH            the first half of the file, then nothing until the client gives up
///   /status/CODE           that status code
///   /hang                  no response at all until the client gives up
/// and, as a rogue server (issue 12's hostile artifact server):
///   /endless               200 without Content-Length and a body that never ends
///   /short/PATH            Content-Length 1000 bytes more than the file, the file, then the end (a lie)
///   /redirect?to=URL       302 to URL (another host or port, file://, anything)
///   /redirect-loop/N/PATH  N redirects on this server, then the file
///   HEAD /files/PATH       the file's Content-Length, no body (counted as "HEAD /files/PATH")
/// Every request is counted by path.
/// </summary>
public sealed class ArtifactServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

    private ArtifactServer(WebApplication app, string root, int port)
    {
        _app = app;
        Root = root;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public string Root { get; }

    public string BaseUrl { get; }

    public int Requests(string path) => _requests.GetValueOrDefault(path);

    public string Url(string path) => $"{BaseUrl}{path}";

    public static async Task<ArtifactServer> StartAsync(string root)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var server = new ArtifactServer(app, root, port);
        app.Use(async (context, next) =>
        {
            var key = HttpMethods.IsHead(context.Request.Method) ? "HEAD " + context.Request.Path.Value : context.Request.Path.Value!;
            server._requests.AddOrUpdate(key, 1, (_, n) => n + 1);
            await next(context);
        });
        app.MapGet("/files/{**path}", (string path, HttpContext c) => server.SendAsync(c, path, withLength: true));
        app.MapMethods("/files/{**path}", [HttpMethods.Head], (string path, HttpContext c) =>
        {
            var file = new FileInfo(server.PathOf(path));
            if (!file.Exists)
            {
                return Results.NotFound();
            }

            c.Response.ContentLength = file.Length;
            return Results.Empty;
        });
        app.MapGet("/chunked/{**path}", (string path, HttpContext c) => server.SendAsync(c, path, withLength: false));
        app.MapGet("/flaky/{failures:int}/{**path}", async (int failures, string path, HttpContext c) =>
            server.Requests(c.Request.Path.Value!) <= failures ? Results.StatusCode(503) : await server.SendAsync(c, path, withLength: true));
        app.MapGet("/stall/{**path}", async (string path, HttpContext c) =>
        {
            var bytes = await File.ReadAllBytesAsync(server.PathOf(path));
            c.Response.ContentLength = bytes.Length;
            await c.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await c.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, c.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return Results.Empty;
        });
        app.MapGet("/status/{code:int}", (int code) => Results.StatusCode(code));
        app.MapGet("/endless", async (HttpContext c) =>
        {
            var chunk = new byte[64 * 1024];
            try
            {
                while (!c.RequestAborted.IsCancellationRequested)
                {
                    await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The client hung up: that is the only way this body ends.
            }

            return Results.Empty;
        });
        app.MapGet("/short/{**path}", async (string path, HttpContext c) =>
        {
            var bytes = await File.ReadAllBytesAsync(server.PathOf(path));
            c.Response.ContentLength = bytes.Length + 1000;
            await c.Response.Body.WriteAsync(bytes);
            await c.Response.Body.FlushAsync();
            return Results.Empty; // the promised rest never comes: Kestrel ends the connection

        });
        app.MapGet("/redirect", (string to) => Results.Redirect(to));
        app.MapGet("/redirect-loop/{n:int}/{**path}", (int n, string path) =>
            Results.Redirect(n > 0 ? $"/redirect-loop/{n - 1}/{path}" : $"/files/{path}"));
        app.MapGet("/hang", async (HttpContext c) =>
        {
            await Task.Delay(Timeout.Infinite, c.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return Results.Empty;
        });
        await app.StartAsync();
        return server;
    }

    private string PathOf(string path) => Path.Join(Root, path);

    private async Task<IResult> SendAsync(HttpContext context, string path, bool withLength)
    {
        var file = PathOf(path);
        if (!System.IO.File.Exists(file))
        {
            return Results.NotFound();
        }

        var bytes = await System.IO.File.ReadAllBytesAsync(file);
        if (withLength)
        {
            context.Response.ContentLength = bytes.Length;
        }

        await context.Response.Body.WriteAsync(bytes);
        return Results.Empty;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

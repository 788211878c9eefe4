using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.Testing;

/// <summary>
/// A real HTTP server on loopback that serves artifact files, and misbehaves on request:
///   /files/PATH            the file under the root folder, with Content-Length, an ETag, and Range
///                          requests (bytes=N-, If-Range) answered with 206 or 416
///   /drop/N/PATH           like /files, but the first N requests of that URL send half of their body,
///                          then end the connection; ?range= says how later Range requests are
///                          answered: ignore (200, the whole file), wrong-start (206 from byte 0),
///                          huge (a Content-Range total of 1 TiB), 416, lie (206 with the right
///                          Content-Range over bytes from the file's start), etag-changes (a new ETag
///                          each request, so If-Range fails)
///   /chunked/PATH          the same, without Content-Length
///   /flaky/N/PATH          503 (or ?code=) for the first N requests of that URL, then the file
///   /stall/PATH            the first half of the file, then nothing until the client gives up
///   /status/CODE           that status code
///   /hang                  no response at all until the client gives up
/// and, as a rogue server (issue 12's hostile artifact server):
///   /endless               200 without Content-Length and a body that never ends
///   /short/PATH            Content-Length 1000 bytes more than the file, the file, then the end (a lie)
///   /redirect?to=URL       302 to URL (another host or port, file://, anything)
///   /redirect-loop/N/PATH  N redirects on this server, then the file
///   HEAD /files/PATH       the file's Content-Length, no body (counted as "HEAD /files/PATH")
/// Every request is counted by path; the Range and If-Range headers received are kept by path.
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

    /// <summary>The Range header of each request to <paramref name="path"/>, in order ("" for none), and its If-Range.</summary>
    public IReadOnlyList<(string Range, string IfRange)> Ranges(string path) =>
        _ranges.TryGetValue(path, out var list) ? [.. list] : [];

    private readonly ConcurrentDictionary<string, ConcurrentQueue<(string, string)>> _ranges = new(StringComparer.Ordinal);

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
            server._ranges.GetOrAdd(key, _ => new()).Enqueue((context.Request.Headers.Range.ToString(), context.Request.Headers.IfRange.ToString()));
            await next(context);
        });
        app.MapGet("/files/{**path}", (string path, HttpContext c) => server.SendRangeAsync(c, path, drop: false, misbehave: null));
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
        app.MapGet("/drop/{n:int}/{**path}", (int n, string path, string? range, HttpContext c) =>
            server.SendRangeAsync(c, path, drop: server.Requests(c.Request.Path.Value!) <= n, misbehave: range));
        app.MapGet("/chunked/{**path}", (string path, HttpContext c) => server.SendAsync(c, path, withLength: false));
        app.MapGet("/flaky/{failures:int}/{**path}", async (int failures, string path, int? code, HttpContext c) =>
            server.Requests(c.Request.Path.Value!) <= failures ? Results.StatusCode(code ?? 503) : await server.SendAsync(c, path, withLength: true));
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

    /// <summary>
    /// The file, or the part a Range request asks for (bytes=N- only, as the agent asks), with an
    /// ETag honoured by If-Range; <paramref name="drop"/> resets the connection halfway through the
    /// body; <paramref name="misbehave"/> answers a Range request wrongly (see the class comment).
    /// </summary>
    private async Task<IResult> SendRangeAsync(HttpContext c, string path, bool drop, string? misbehave)
    {
        var file = PathOf(path);
        if (!System.IO.File.Exists(file))
        {
            return Results.NotFound();
        }

        var bytes = await System.IO.File.ReadAllBytesAsync(file);
        var etag = misbehave == "etag-changes" ? $"\"{Guid.NewGuid():N}\"" : $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16]}\"";
        c.Response.Headers.ETag = etag;
        c.Response.Headers.AcceptRanges = "bytes";
        var range = c.Request.Headers.Range.ToString();
        var ifRange = c.Request.Headers.IfRange.ToString();
        long from = 0;
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-') && long.TryParse(range.AsSpan(6, range.Length - 7), out var start)
            && (ifRange.Length == 0 || ifRange == etag) && misbehave != "ignore")
        {
            if (start >= bytes.Length || misbehave == "416")
            {
                c.Response.StatusCode = 416;
                c.Response.Headers.ContentRange = $"bytes */{bytes.Length}";
                return Results.Empty;
            }

            c.Response.StatusCode = 206;
            c.Response.Headers.ContentRange = misbehave switch
            {
                "wrong-start" => $"bytes 0-{bytes.Length - 1}/{bytes.Length}",
                "huge" => $"bytes {start}-{bytes.Length - 1}/{1L << 40}",
                _ => $"bytes {start}-{bytes.Length - 1}/{bytes.Length}",
            };
            from = misbehave is "wrong-start" or "lie" ? 0 : start;
            var count = misbehave == "wrong-start" ? bytes.Length : bytes.Length - start;
            return await BodyAsync(c, bytes.AsMemory((int)from, (int)count), drop);
        }

        return await BodyAsync(c, bytes, drop);
    }

    private static async Task<IResult> BodyAsync(HttpContext c, ReadOnlyMemory<byte> body, bool drop)
    {
        c.Response.ContentLength = body.Length;
        if (!drop)
        {
            await c.Response.Body.WriteAsync(body);
            return Results.Empty;
        }

        await c.Response.Body.WriteAsync(body[..(body.Length / 2)]);
        await c.Response.Body.FlushAsync();
        return Results.Empty; // the rest never comes: Kestrel ends the connection mid-body, as a restarted server leaves it
    }

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

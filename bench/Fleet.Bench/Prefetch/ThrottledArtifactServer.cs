using System.Net;
using Fleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.Bench.Prefetch;

/// <summary>
/// Serves files from memory on loopback at a fixed rate (bytes a second, sent in 50 ms slices), so a
/// download takes a known time: GET and HEAD /files/NAME, with Content-Length.
/// </summary>
internal sealed class ThrottledArtifactServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ThrottledArtifactServer(WebApplication app, int port)
    {
        _app = app;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public string BaseUrl { get; }

    public static async Task<ThrottledArtifactServer> StartAsync(IReadOnlyDictionary<string, byte[]> files, long bytesPerSecond)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var slice = (int)Math.Max(1, bytesPerSecond / 20);
        app.MapMethods("/files/{name}", [HttpMethods.Get, HttpMethods.Head], async (string name, HttpContext c) =>
        {
            if (!files.TryGetValue(name, out var bytes))
            {
                return Results.NotFound();
            }

            c.Response.ContentLength = bytes.Length;
            if (HttpMethods.IsHead(c.Request.Method))
            {
                return Results.Empty;
            }

            for (var sent = 0; sent < bytes.Length; sent += slice)
            {
                await c.Response.Body.WriteAsync(bytes.AsMemory(sent, Math.Min(slice, bytes.Length - sent)), c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
                await Task.Delay(50, c.RequestAborted);
            }

            return Results.Empty;
        });
        await app.StartAsync();
        return new ThrottledArtifactServer(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

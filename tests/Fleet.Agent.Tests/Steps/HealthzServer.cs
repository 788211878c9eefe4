using System.Net;
using Fleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// A real HTTP server on loopback standing in for the kubelet's healthz: it answers 500 "[-]ping
/// failed" (or what the test says) to the first <c>failures</c> requests, then 200 "ok".
/// </summary>
internal sealed class HealthzServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private HealthzServer(WebApplication app, int port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}/healthz";
    }

    public string Url { get; }

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<HealthzServer> StartAsync(int failures, int failStatus = 500, string failBody = "[-]ping failed", int? port = null)
    {
        var bound = port ?? FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, bound));
        var app = builder.Build();
        var server = new HealthzServer(app, bound);
        app.MapGet("/healthz", () => Interlocked.Increment(ref server._requests) <= failures
            ? Results.Text(failBody, statusCode: failStatus)
            : Results.Text("ok"));
        await app.StartAsync().DefaultTimeout();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().DefaultTimeout();
        await _app.DisposeAsync();
    }
}

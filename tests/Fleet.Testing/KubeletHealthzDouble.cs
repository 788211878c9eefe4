using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.Testing;

/// <summary>
/// A test double of one node's kubelet healthz (127.0.0.1 only): 200 "ok" while <c>healthy</c> says so (asked once
/// per request), else <c>failStatus</c> with <c>failBody</c> (500 "unhealthy" by default), as the kubelet answers. The
/// agent's wait-kubelet-healthy step polls it (AgentOptions.KubeletHealthzUrl).
/// </summary>
public sealed class KubeletHealthzDouble : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private KubeletHealthzDouble(WebApplication app, int port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}/healthz";
    }

    public string Url { get; }

    /// <summary>Requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<KubeletHealthzDouble> StartAsync(Func<bool> healthy, int failStatus = 500, string failBody = "unhealthy", int? port = null)
    {
        var bound = port ?? FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, bound));
        var app = builder.Build();
        var double_ = new KubeletHealthzDouble(app, bound);
        app.MapGet("/healthz", () =>
        {
            Interlocked.Increment(ref double_._requests);
            return healthy() ? Results.Text("ok") : Results.Text(failBody, statusCode: failStatus);
        });
        await app.StartAsync().DefaultTimeout();
        return double_;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().DefaultTimeout();
        await _app.DisposeAsync();
    }
}

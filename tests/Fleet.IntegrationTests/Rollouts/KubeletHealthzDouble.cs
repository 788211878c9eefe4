using System.Net;
using Fleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// A test double of one node's kubelet healthz (127.0.0.1 only): 200 "ok" while <see cref="Healthy"/> says so, else 500
/// "unhealthy", as the kubelet answers. The agent's wait-kubelet-healthy step polls it (AgentOptions.KubeletHealthzUrl).
/// </summary>
public sealed class KubeletHealthzDouble : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KubeletHealthzDouble(WebApplication app, int port, Func<bool> healthy)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}/healthz";
        Healthy = healthy;
    }

    public string Url { get; }

    public Func<bool> Healthy { get; }

    public static async Task<KubeletHealthzDouble> StartAsync(Func<bool> healthy)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var double_ = new KubeletHealthzDouble(app, port, healthy);
        app.MapGet("/healthz", () => double_.Healthy() ? Results.Text("ok") : Results.Text("unhealthy", statusCode: 500));
        await app.StartAsync();
        return double_;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

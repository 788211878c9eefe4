using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.Testing;

/// <summary>
/// A real HTTP receiver of Fleet's webhooks on loopback (Kestrel): it records every POST (headers, body) in the
/// order received and answers as the test scripts it: a status per request number, or a hang until
/// <see cref="Release"/> (or disposal).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    private WebhookReceiver(WebApplication app, int port, Func<int, int?> status)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}/hook";
        Status = status;
    }

    public string Url { get; }

    /// <summary>Request number (1-based) → the status to answer, or null to hang until released.</summary>
    public Func<int, int?> Status { get; set; }

    public IReadOnlyList<Received> Requests => [.. _received];

    /// <summary>Requests that arrived and are hanging (or were answered), by number.</summary>
    public int Count => Volatile.Read(ref _count);

    public static async Task<WebhookReceiver> StartAsync(Func<int, int?>? status = null)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, port, status ?? (_ => 200));
        app.MapPost("/hook", receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Every hanging request gets its answer (200) and later ones are answered at once.</summary>
    public void Release() => _release.TrySetResult();

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var n = Interlocked.Increment(ref _count);
        _received.Enqueue(new Received(n, headers, body.ToArray()));
        var status = Status(n);
        if (status is null)
        {
            await _release.Task.WaitAsync(context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            status = 200;
        }

        context.Response.StatusCode = status.Value;
        await context.Response.WriteAsync("receiver says: " + new string('x', 64 * 1024)); // a large body, which the coordinator must not read
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Received(int Number, IReadOnlyDictionary<string, string> Headers, byte[] Body)
    {
        public string Header(string name) => Headers.GetValueOrDefault(name, "");

        public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;
    }
}

using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.Testing.Prometheus;

/// <summary>A small Prometheus exporter on 127.0.0.1: GET /metrics serves one gauge whose value the test sets.</summary>
public sealed class GaugeExporter : IAsyncDisposable
{
    private readonly WebApplication _app;
    private double _value;

    private GaugeExporter(WebApplication app, int port, string name, string labels)
    {
        _app = app;
        Target = $"127.0.0.1:{port}";
        Name = name;
        Labels = labels;
    }

    /// <summary>host:port, for a scrape config's static target.</summary>
    public string Target { get; }

    public string Name { get; }

    /// <summary>The gauge's labels as the exposition text writes them, e.g. service="web".</summary>
    public string Labels { get; }

    public double Value
    {
        get => Volatile.Read(ref _value);
        set => Volatile.Write(ref _value, value);
    }

    public int Scrapes { get; private set; }

    public static async Task<GaugeExporter> StartAsync(string name, string labels, double value)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var exporter = new GaugeExporter(app, port, name, labels) { Value = value };
        app.MapGet("/metrics", () =>
        {
            exporter.Scrapes++;
            var text = $"# HELP {name} Set by the test.\n# TYPE {name} gauge\n{name}{{{labels}}} {exporter.Value.ToString(CultureInfo.InvariantCulture)}\n";
            return Results.Text(text, "text/plain; version=0.0.4");
        });
        await app.StartAsync();
        return exporter;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

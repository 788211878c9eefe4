using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Steps;
using Fleet.Coordinator.Control;
using Fleet.Coordinator.Metrics;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Prometheus;
using Serilog;
using Serilog.Events;

namespace Fleet.Coordinator.Hosting;

/// <summary>Composes the coordinator: one entry point, used by Program and by the tests.</summary>
public static class CoordinatorApp
{
    public const int MaxMessageSize = 4 * 1024 * 1024;

    public static async Task<WebApplication> CreateAsync(
        CoordinatorOptions options,
        Action<LoggerConfiguration>? configureLogging = null,
        TimeProvider? time = null,
        CancellationToken ct = default)
    {
        var database = new SqliteDatabase(options.DatabasePath);
        await database.MigrateAsync(ct);
        ControlSocket.Prepare(options.Socket);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSystemd();
        builder.Services.AddSerilog(CreateLogger(configureLogging), dispose: true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Listen, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                l.Use(ListenerGate.Tag(ListenerGate.Agent));
            });
            kestrel.ListenUnixSocket(options.Socket, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                l.Use(ListenerGate.Tag(ListenerGate.Control));
            });
            if (options.MetricsListen is { } metrics)
            {
                kestrel.Listen(metrics, l =>
                {
                    l.Protocols = HttpProtocols.Http1;
                    l.Use(ListenerGate.Tag(ListenerGate.Metrics));
                });
            }
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton(database);
        services.AddSingleton<INodeStore, SqliteNodeStore>();
        services.AddSingleton<NodeStatusPolicy>();
        services.AddSingleton<AgentRegistry>();
        services.AddSingleton<INodeIdentityResolver, HeaderNodeIdentityResolver>();
        services.AddSingleton<FleetMetrics>();
        services.AddSingleton<ICatalogStore, SqliteCatalogStore>();
        services.AddSingleton<StepDispatcher>();
        services.AddSingleton<CatalogApi>();
        services.AddSingleton<RunStepApi>();
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxMessageSize;
            o.MaxSendMessageSize = MaxMessageSize;
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<StoreHealthCheck>("store");

        var app = builder.Build();
        app.UseListenerGate();
        app.MapGrpcService<AgentApi>();
        app.MapGrpcService<ControlApi>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapGet("/metrics", async (HttpContext context, FleetMetrics metrics) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
        app.Lifetime.ApplicationStarted.Register(() => ControlSocket.Secure(options.Socket));
        return app;
    }

    private static Serilog.Core.Logger CreateLogger(Action<LoggerConfiguration>? configure)
    {
        var logging = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Grpc", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        if (configure is null)
        {
            logging.WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}");
        }
        else
        {
            configure(logging);
        }

        return logging.CreateLogger();
    }
}

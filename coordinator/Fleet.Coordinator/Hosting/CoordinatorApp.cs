using System.Net;
using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Control;
using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Metrics;
using Fleet.Coordinator.Notifications;
using Fleet.Coordinator.Security;
using Fleet.Coordinator.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
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
        Action<IServiceCollection>? configureServices = null,
        CancellationToken ct = default)
    {
        time ??= TimeProvider.System;
        var database = new SqliteDatabase(options.DatabasePath);
        await database.MigrateAsync(ct);
        var ca = CertificateAuthority.LoadOrCreate(options.DataDir, time.GetUtcNow());
        var tlsNames = new CoordinatorTlsNames(ServerNames(options));
        var serverCertificate = ca.IssueServerCertificate(tlsNames.Names, time.GetUtcNow());
        var throttle = new AddressThrottle(options.ConnectionsPerSecondPerAddress, time);
        ControlSocket.Prepare(options.Socket);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSystemd();
        builder.Services.AddSerilog(CreateLogger(configureLogging), dispose: true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Listen, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                l.Use(throttle.Middleware);
                l.Use(ListenerGate.Tag(ListenerGate.Agent));
                // Enrollment has no client certificate yet; Connect requires one (the identity resolver).
                l.UseHttps(Tls(serverCertificate, ca, ClientCertificateMode.AllowCertificate, c => ca.Verifies(c, time.GetUtcNow())));
            });
            if (options.ControlListen is { } control)
            {
                kestrel.Listen(control, l =>
                {
                    l.Protocols = HttpProtocols.Http2;
                    l.Use(throttle.Middleware);
                    l.Use(ListenerGate.Tag(ListenerGate.Control));
                    l.UseHttps(Tls(serverCertificate, ca, ClientCertificateMode.RequireCertificate, c =>
                        ca.Verifies(c, time.GetUtcNow()) && ClientSubject.Of(c)?.Kind == ClientSubject.AdminKind));
                });
            }

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
        services.AddSingleton(time);
        services.AddSingleton(database);
        services.AddSingleton(ca);
        services.AddSingleton(tlsNames);
        services.AddSingleton<FleetMetrics>();
        services.AddAgents(options.AgentLimits, options.RefusedIdentityLog);
        services.AddEnrollment(options.EnrollmentsPerSecondPerAddress, time);
        services.AddCatalog();
        services.AddKubernetes();
        services.AddRollouts();
        services.AddNotifications(options.Notifications, options.DataDir);
        services.AddControl();
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxMessageSize;
            o.MaxSendMessageSize = MaxMessageSize;
        }).AddServiceOptions<AgentApi>(o => o.MaxReceiveMessageSize = options.AgentLimits.MaxReceiveMessageBytes);
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck<StoreHealthCheck>("store");
        configureServices?.Invoke(services); // tests replace a service here (e.g. a Kubernetes double)

        var app = builder.Build();
        app.UseListenerGate();
        app.UseAdminGate();
        app.MapGrpcService<AgentApi>();
        app.MapGrpcService<ControlApi>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapGet("/metrics", async (HttpContext context, FleetMetrics metrics) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
        return app;
    }

    /// <summary>The names in the coordinator's TLS certificate: loopback, the host name, the listen address, and --tls-san.</summary>
    public static IEnumerable<string> ServerNames(CoordinatorOptions options)
    {
        string[] names = ["localhost", "127.0.0.1", "::1", Dns.GetHostName()];
        var listen = options.Listen.Address.Equals(IPAddress.Any) || options.Listen.Address.Equals(IPAddress.IPv6Any) ? [] : new[] { options.Listen.Address.ToString() };
        return names.Concat(listen).Concat(options.TlsNames);
    }

    private static HttpsConnectionAdapterOptions Tls(
        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate,
        CertificateAuthority ca,
        ClientCertificateMode mode,
        Func<System.Security.Cryptography.X509Certificates.X509Certificate2, bool> validate) => new()
    {
        ServerCertificate = certificate,
        ServerCertificateChain = [ca.Certificate],
        ClientCertificateMode = mode,
        // The Fleet CA is the only issuer trusted here, whatever the machine's trust store holds; a
        // client certificate must be one (clientAuth, never the coordinator's own serverAuth certificate).
        ClientCertificateValidation = (c, _, _) => validate(c),
        // TLS builds the client's chain before the check above: from the CA alone, never fetching an AIA URL.
        OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = Fleet.Security.FleetCaTrust.Policy(ca.Certificate, Fleet.Security.CertificateRole.Client),
        HandshakeTimeout = TimeSpan.FromSeconds(10),
        SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
    };

    private static Serilog.Core.Logger CreateLogger(Action<LoggerConfiguration>? configure)
    {
        var logging = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Grpc", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        if (configure is null)
        {
            JournalLevels.WriteToConsole(logging, Environment.GetEnvironmentVariable(JournalLevels.Variable));
        }
        else
        {
            configure(logging);
        }

        return logging.CreateLogger();
    }
}

using System.Net;
using System.Security.Cryptography.X509Certificates;
using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Security;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Testing;

/// <summary>The real coordinator on Kestrel: agents on a loopback port (TLS), the control API on a unix socket.</summary>
public sealed class TestCoordinator : IAsyncDisposable
{
    private TestCoordinator(WebApplication app, CoordinatorOptions options, LogCollector logs)
    {
        App = app;
        Options = options;
        Logs = logs;
    }

    public WebApplication App { get; }

    public CoordinatorOptions Options { get; }

    public LogCollector Logs { get; }

    public Uri AgentUri => new($"https://127.0.0.1:{Options.Listen.Port}");

    public X509Certificate2 CaCertificate => Service<CertificateAuthority>().Certificate;

    public string CaPin => Service<CertificateAuthority>().Pin;

    /// <summary>A join token, as `fleetctl token create` makes it: "id.secret".</summary>
    public async Task<string> CreateTokenAsync(int uses = 10, TimeSpan? ttl = null)
    {
        var request = new CreateTokenRequest { Uses = uses, Ttl = Duration.FromTimeSpan(ttl ?? TimeSpan.FromHours(1)) };
        return (await Service<JoinTokens>().CreateAsync(request, CancellationToken.None)).SecretToken;
    }

    /// <summary>A gRPC channel over the control socket, as fleetctl uses it.</summary>
    public Grpc.Net.Client.GrpcChannel ControlChannel() => Grpc.Net.Client.GrpcChannel.ForAddress("http://localhost", new Grpc.Net.Client.GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = UnixSocket.Connect(Socket),
        },
    });

    /// <summary>An HTTP handler that trusts only this coordinator's CA and presents <paramref name="clientCertificate"/> when given.</summary>
    public SocketsHttpHandler Handler(X509Certificate2? clientCertificate = null) => TestTls.Handler(CaCertificate, clientCertificate);

    public string Socket => Options.Socket;

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>Options for a coordinator whose state lives in <paramref name="dir"/>: fast heartbeats, free ports.</summary>
    public static CoordinatorOptions OptionsIn(string dir, TimeSpan? heartbeat = null) => new()
    {
        Listen = new IPEndPoint(IPAddress.Loopback, FreePort.Next()),
        DataDir = Path.Join(dir, "data"),
        Socket = Path.Join(dir, "control.sock"),
        MetricsListen = new IPEndPoint(IPAddress.Loopback, FreePort.Next()),
        HeartbeatInterval = heartbeat ?? TimeSpan.FromMilliseconds(200),
    };

    /// <summary>
    /// Starts the coordinator. A port <see cref="FreePort"/> picked can be taken by another test's
    /// connection before Kestrel binds it: then the TCP ports are picked again, up to three times.
    /// </summary>
    public static async Task<TestCoordinator> StartAsync(CoordinatorOptions options, TimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var logs = new LogCollector();
            var app = await CoordinatorApp.CreateAsync(options, logs.Configure, time, services);
            try
            {
                await app.StartAsync().DefaultTimeout();
                return new TestCoordinator(app, options, logs);
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException && attempt < 3)
            {
                await app.DisposeAsync();
                options.Listen = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
                options.MetricsListen = options.MetricsListen is null ? null : new IPEndPoint(IPAddress.Loopback, FreePort.Next());
                options.ControlListen = options.ControlListen is null ? null : new IPEndPoint(IPAddress.Loopback, FreePort.Next());
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().DefaultTimeout();
        await App.DisposeAsync();
    }
}

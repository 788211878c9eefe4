using System.Net;
using System.Security.Cryptography.X509Certificates;
using Fleet.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Testing.Hostile;

/// <summary>
/// A rogue coordinator: a real HTTP/2 gRPC server with TLS on 127.0.0.1, presenting whatever
/// certificate the test gives it (a node's, say). It serves the agent API as a thief would: the real
/// CA for GetCaCertificate (it is public), and it records every TCP connection, every HTTP request
/// that got through the TLS handshake, and every join token sent to Enroll.
/// </summary>
public sealed class RogueServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RogueState _state;

    private RogueServer(WebApplication app, RogueState state)
    {
        _app = app;
        _state = state;
    }

    public int Port { get; private set; }

    /// <summary>TCP connections accepted (before any TLS).</summary>
    public int Connections => _state.Connections;

    /// <summary>HTTP requests received: each one got through the TLS handshake.</summary>
    public int Requests => _state.Requests;

    /// <summary>Join tokens that reached Enroll.</summary>
    public IReadOnlyCollection<string> Tokens => _state.Tokens;

    public static async Task<RogueServer> StartAsync(X509Certificate2 certificate, X509Certificate2 realCa)
    {
        var state = new RogueState(realCa);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            l.Use(next => context =>
            {
                Interlocked.Increment(ref state.Connections);
                return next(context);
            });
            // Its own chain is built offline: an AIA URL in the certificate is for its victims to fetch, or not.
            var context = System.Net.Security.SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
            l.UseHttps(new TlsHandshakeCallbackOptions
            {
                OnConnection = _ => ValueTask.FromResult(new System.Net.Security.SslServerAuthenticationOptions
                {
                    ServerCertificateContext = context,
                    ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http2],
                    ClientCertificateRequired = false,
                }),
            });
        }));
        builder.Services.AddSingleton(state);
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.Use((context, next) =>
        {
            Interlocked.Increment(ref state.Requests);
            return next(context);
        });
        app.MapGrpcService<RogueAgentApi>();
        await app.StartAsync().DefaultTimeout();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new RogueServer(app, state) { Port = new Uri(address).Port };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().DefaultTimeout();
        await _app.DisposeAsync();
    }

    internal sealed class RogueState(X509Certificate2 ca)
    {
        public int Connections;
        public int Requests;

        public X509Certificate2 Ca { get; } = ca;

        public System.Collections.Concurrent.ConcurrentBag<string> Tokens { get; } = [];
    }

    private sealed class RogueAgentApi(RogueState state) : AgentService.AgentServiceBase
    {
        public override Task<CaCertificate> GetCaCertificate(GetCaCertificateRequest request, ServerCallContext context) =>
            Task.FromResult(new CaCertificate { Der = Google.Protobuf.ByteString.CopyFrom(state.Ca.RawData) });

        public override Task<EnrollResponse> Enroll(EnrollRequest request, ServerCallContext context)
        {
            state.Tokens.Add(request.Token);
            throw new RpcException(new Status(StatusCode.Unavailable, "rogue"));
        }
    }
}

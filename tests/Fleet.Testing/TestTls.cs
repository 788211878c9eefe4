using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Fleet.Security;
using Fleet.V1;
using Google.Protobuf;
using Grpc.Net.Client;

namespace Fleet.Testing;

/// <summary>TLS for hand-driven clients in tests: trust one CA, present one client certificate, enroll by hand.</summary>
public static class TestTls
{
    public static SocketsHttpHandler Handler(X509Certificate2 ca, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        FleetCaTrust.TrustOnly(handler.SslOptions, ca);
        // Presented as it is, whatever the server asks for (hostile tests present certificates the server
        // will refuse), and without fetching anything it names: what the server does is under test.
        handler.SslOptions.ClientCertificateContext = clientCertificate is null ? null : SslStreamCertificateContext.Create(clientCertificate, additionalCertificates: null, offline: true);
        return handler;
    }

    public static GrpcChannel Channel(Uri address, X509Certificate2 ca, X509Certificate2? clientCertificate = null) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = Handler(ca, clientCertificate) });

    /// <summary>Enrolls <paramref name="name"/> through the real Enroll RPC; returns its certificate with its key.</summary>
    public static async Task<X509Certificate2> EnrollAsync(this TestCoordinator coordinator, string name, string? token = null)
    {
        token ??= await coordinator.CreateTokenAsync(uses: 1);
        using var request = SigningRequest.Create(name);
        using var channel = Channel(coordinator.AgentUri, coordinator.CaCertificate);
        var response = await new AgentService.AgentServiceClient(channel)
            .EnrollAsync(new EnrollRequest { Token = token, Csr = ByteString.CopyFrom(request.Der) })
            .ResponseAsync.DefaultTimeout();
        return request.Join(response.Certificate.ToByteArray());
    }
}

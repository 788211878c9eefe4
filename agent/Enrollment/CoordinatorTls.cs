using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Fleet.Security;

namespace Fleet.Agent.Enrollment;

/// <summary>How the agent trusts the coordinator: only a certificate for the host it dialled, issued by the pinned Fleet CA.</summary>
public static class CoordinatorTls
{
    /// <summary>An HTTP/2 handler for the coordinator: TLS trusting only the CA, presenting the client certificate if there is one.</summary>
    public static SocketsHttpHandler Handler(Func<X509Certificate2> ca, Func<X509Certificate2?> clientCertificate) => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),
        KeepAlivePingDelay = TimeSpan.FromSeconds(20),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        // A renewed certificate is presented by new connections; this bounds how long an old one is reused.
        PooledConnectionLifetime = TimeSpan.FromHours(1),
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = FleetCaTrust.TrustOnly(ca),
            LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate()!,
        },
    };
}

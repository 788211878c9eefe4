using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Fleet.Security;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Enrollment;

/// <summary>
/// How the agent trusts the coordinator: only the coordinator's certificate (serverAuth, never a node's
/// clientAuth certificate, whatever its name), naming the host it dialled among its SANs, issued by the
/// pinned Fleet CA. A refusal is logged with its reason, and nothing is sent.
/// </summary>
public static class CoordinatorTls
{
    /// <summary>An HTTP/2 handler for the coordinator: TLS trusting only the CA, presenting the client certificate if there is one.</summary>
    public static SocketsHttpHandler Handler(X509Certificate2 ca, X509Certificate2? clientCertificate, ILogger logger)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingDelay = AgentKeepAlive.PingDelay,
            KeepAlivePingTimeout = AgentKeepAlive.PingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = TimeSpan.FromHours(1),
        };
        FleetCaTrust.TrustOnly(handler.SslOptions, ca, (host, reason) => CredentialsLog.CoordinatorRefused(logger, host, reason));
        if (clientCertificate is not null)
        {
            // Offline: the agent's own chain is its certificate and the CA, nothing to fetch.
            handler.SslOptions.ClientCertificateContext = SslStreamCertificateContext.Create(clientCertificate, additionalCertificates: null, offline: true);
        }

        return handler;
    }
}

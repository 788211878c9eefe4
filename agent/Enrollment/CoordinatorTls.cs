using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Agent.Enrollment;

/// <summary>How the agent trusts the coordinator: only a certificate for the host it dialled, issued by the pinned Fleet CA.</summary>
public static class CoordinatorTls
{
    public static RemoteCertificateValidationCallback TrustOnly(Func<X509Certificate2> ca) => (_, certificate, _, errors) =>
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return IssuedBy(leaf, ca());
    };

    /// <summary>True when <paramref name="certificate"/> chains to <paramref name="ca"/> and is valid at <paramref name="at"/> (default: now).</summary>
    public static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 ca, DateTimeOffset? at = null)
    {
        using var chain = new X509Chain();
        if (at is { } time)
        {
            chain.ChainPolicy.VerificationTime = time.UtcDateTime;
        }

        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

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
            RemoteCertificateValidationCallback = TrustOnly(ca),
            LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate()!,
        },
    };
}

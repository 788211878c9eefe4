using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Security;

/// <summary>Trust in exactly one Fleet CA, for every TLS client and every certificate check in Fleet.</summary>
public static class FleetCaTrust
{
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
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // revocation is Fleet's store's, checked per call
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(ca.RawData);
    }

    /// <summary>A server-certificate check: a certificate for the host that was dialled, issued by the CA.</summary>
    public static RemoteCertificateValidationCallback TrustOnly(Func<X509Certificate2> ca) => (_, certificate, _, errors) =>
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return IssuedBy(leaf, ca());
    };
}

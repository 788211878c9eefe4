using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Security;

/// <summary>What a Fleet certificate is for. One CA issues both, and each is refused in the other's place.</summary>
public enum CertificateRole
{
    /// <summary>The coordinator's TLS certificate: extended key usage serverAuth only, and the names it serves as SANs.</summary>
    Server,

    /// <summary>A node's or an admin's certificate: extended key usage clientAuth only, no SAN.</summary>
    Client,
}

/// <summary>
/// Trust in exactly one Fleet CA, for every TLS peer and every certificate check in Fleet. A
/// certificate is accepted only for its own role: the chain policy requires the role's extended key
/// usage, and the leaf must name that usage explicitly and not the other one (a certificate without
/// the extension would otherwise be good for everything). Chains are built from the CA alone: no
/// certificate is ever downloaded (an AIA URL in a presented certificate is never fetched), and
/// revocation is Fleet's store's, checked per call.
/// </summary>
public static class FleetCaTrust
{
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>The chain policy for a certificate of <paramref name="role"/>: only <paramref name="ca"/>, its EKU, nothing fetched.</summary>
    public static X509ChainPolicy Policy(X509Certificate2 ca, CertificateRole role, DateTimeOffset? at = null)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(ca);
        policy.ApplicationPolicy.Add(new Oid(UsageOid(role)));
        if (at is { } time)
        {
            policy.VerificationTime = time.UtcDateTime;
        }

        return policy;
    }

    /// <summary>Why <paramref name="certificate"/> is not a valid <paramref name="role"/> certificate of <paramref name="ca"/> at <paramref name="at"/> (default: now); null when it is.</summary>
    public static string? Problem(X509Certificate2 certificate, X509Certificate2 ca, CertificateRole role, DateTimeOffset? at = null)
    {
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault()?.EnhancedKeyUsages
            .Cast<Oid>().Select(o => o.Value).ToHashSet();
        var other = role == CertificateRole.Server ? CertificateRole.Client : CertificateRole.Server;
        if (usages is null || !usages.Contains(UsageOid(role)))
        {
            return $"it is not a {Describe(role)} certificate (its extended key usage lacks {Name(role)})";
        }

        if (usages.Contains(UsageOid(other)))
        {
            return $"it is a {Describe(other)} certificate too (extended key usage {Name(other)}); Fleet keeps the two apart";
        }

        using var chain = new X509Chain { ChainPolicy = Policy(ca, role, at) };
        if (!chain.Build(certificate) || !chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(ca.RawData))
        {
            var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
            return $"it is not issued by the Fleet CA or not valid now ({(status.Length == 0 ? "other issuer" : status)})";
        }

        return null;
    }

    /// <summary>True when <paramref name="certificate"/> is a valid <paramref name="role"/> certificate of <paramref name="ca"/>.</summary>
    public static bool IsValid(X509Certificate2 certificate, X509Certificate2 ca, CertificateRole role, DateTimeOffset? at = null) =>
        Problem(certificate, ca, role, at) is null;

    /// <summary>
    /// Why <paramref name="certificate"/> may not serve <paramref name="host"/> for the coordinator; null when it may.
    /// The host must be one of its SANs: a certificate without SANs is refused, the CN is never read.
    /// </summary>
    public static string? ServerProblem(X509Certificate2 certificate, X509Certificate2 ca, string host, DateTimeOffset? at = null)
    {
        if (Problem(certificate, ca, CertificateRole.Server, at) is { } problem)
        {
            return problem;
        }

        if (certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SingleOrDefault() is null)
        {
            return "it names no host (no subject alternative name)";
        }

        return certificate.MatchesHostname(host, allowWildcards: false, allowCommonName: false)
            ? null
            : $"it is not for {host} (not among its subject alternative names)";
    }

    /// <summary>
    /// A server-certificate check for TLS clients of the coordinator: the coordinator's certificate, for
    /// the host that was dialled, issued by the CA. <paramref name="refused"/> hears (host, reason) of every refusal.
    /// </summary>
    public static RemoteCertificateValidationCallback TrustOnly(Func<X509Certificate2> ca, Action<string, string>? refused = null) => (sender, certificate, _, _) =>
    {
        var host = (sender as SslStream)?.TargetHostName;
        string? problem;
        if (certificate is null)
        {
            problem = "it presented no certificate";
        }
        else if (string.IsNullOrEmpty(host))
        {
            problem = "the host that was dialled is not known, so the certificate cannot be checked against it";
        }
        else
        {
            var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            problem = ServerProblem(leaf, ca(), host);
        }

        if (problem is not null)
        {
            refused?.Invoke(host ?? "?", problem);
        }

        return problem is null;
    };

    /// <summary>TLS client options for talking to a coordinator: its chain is built by <see cref="Policy"/> (nothing downloaded), then checked by <see cref="TrustOnly"/>.</summary>
    public static void TrustOnly(SslClientAuthenticationOptions ssl, X509Certificate2 ca, Action<string, string>? refused = null)
    {
        ssl.CertificateChainPolicy = Policy(ca, CertificateRole.Server);
        ssl.RemoteCertificateValidationCallback = TrustOnly(() => ca, refused);
    }

    private static string UsageOid(CertificateRole role) => role == CertificateRole.Server ? ServerAuthOid : ClientAuthOid;

    private static string Name(CertificateRole role) => role == CertificateRole.Server ? "serverAuth" : "clientAuth";

    private static string Describe(CertificateRole role) => role == CertificateRole.Server ? "server (coordinator)" : "client (node or admin)";
}

using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Security;

namespace Fleet.Testing.Hostile;

/// <summary>Certificates of any shape, for hostile tests: CAs, leaves with or without EKUs and SANs, an AIA URL.</summary>
public static class TestCertificates
{
    /// <summary>A self-signed CA with its key.</summary>
    public static X509Certificate2 Ca(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>
    /// A certificate signed by <paramref name="issuer"/> (which must hold its key), with its own key:
    /// the given extended key usages (none: no EKU extension at all), DNS or IP SANs, an AIA caIssuers
    /// URL, and whether it may sign others.
    /// </summary>
    public static X509Certificate2 Issue(
        X509Certificate2 issuer,
        string subject,
        string[]? usages = null,
        string[]? sans = null,
        Uri? aiaCaIssuers = null,
        bool isCa = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(isCa ? X509KeyUsageFlags.KeyCertSign : X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (usages is not null)
        {
            var oids = new OidCollection();
            foreach (var usage in usages)
            {
                oids.Add(new Oid(usage));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        if (sans is not null)
        {
            var builder = new SubjectAlternativeNameBuilder();
            foreach (var name in sans)
            {
                if (IPAddress.TryParse(name, out var address))
                {
                    builder.AddIpAddress(address);
                }
                else
                {
                    builder.AddDnsName(name);
                }
            }

            request.CertificateExtensions.Add(builder.Build());
        }

        if (aiaCaIssuers is not null)
        {
            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [aiaCaIssuers.ToString()]));
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signingKey = issuer.GetECDsaPrivateKey() ?? throw new ArgumentException("the issuer must hold its ECDSA key", nameof(issuer));
        using var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(signingKey), DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddDays(7), serial);
        return certificate.CopyWithPrivateKey(key);
    }

    public static readonly string[] ServerAuth = [FleetCaTrust.ServerAuthOid];
    public static readonly string[] ClientAuth = [FleetCaTrust.ClientAuthOid];
    public static readonly string[] Both = [FleetCaTrust.ServerAuthOid, FleetCaTrust.ClientAuthOid];
}

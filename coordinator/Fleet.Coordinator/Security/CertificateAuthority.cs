using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Security;

namespace Fleet.Coordinator.Security;

/// <summary>
/// The coordinator's CA: an ECDSA P-256 key and a self-signed certificate in the data folder
/// (ca.key 0600, ca.crt), made on first start. It signs the coordinator's own TLS certificate, node
/// certificates and admin certificates, and it is the only issuer the coordinator trusts.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    public const string KeyFile = "ca.key";
    public const string CertificateFile = "ca.crt";
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(3650);

    /// <summary>Certificates start this much before they are issued, so a node whose clock lags a little still accepts them.</summary>
    public static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    private readonly ECDsa _key;

    private CertificateAuthority(ECDsa key, X509Certificate2 certificate)
    {
        _key = key;
        Certificate = certificate;
        Pin = CaPin.Of(certificate);
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>sha256:HEX of the CA's SubjectPublicKeyInfo, for `fleet-agent enroll --ca-pin`.</summary>
    public string Pin { get; }

    /// <summary>Loads the CA from <paramref name="dataDir"/>, or creates it there; refuses a key file others may read.</summary>
    public static CertificateAuthority LoadOrCreate(string dataDir, DateTimeOffset now)
    {
        var keyPath = Path.Join(dataDir, KeyFile);
        var certificatePath = Path.Join(dataDir, CertificateFile);
        if (File.Exists(keyPath))
        {
            if (PemFiles.IsLooserThanPrivate(keyPath))
            {
                throw new InvalidOperationException(
                    $"{keyPath} may be read by others (mode {Convert.ToString((int)File.GetUnixFileMode(keyPath), 8)}); it must be 0600: chmod 600 {keyPath}");
            }

            if (!File.Exists(certificatePath))
            {
                throw new InvalidOperationException($"{keyPath} exists but {certificatePath} does not; restore it from a backup");
            }

            var key = PemFiles.ReadKey(keyPath);
            var certificate = PemFiles.ReadCertificate(certificatePath);
            using (var certificateKey = certificate.GetECDsaPublicKey())
            {
                if (certificateKey is null || !certificateKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
                {
                    throw new InvalidOperationException($"{certificatePath} is not the certificate of {keyPath}");
                }
            }

            return new CertificateAuthority(key, certificate);
        }

        var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName("Fleet CA");
        subject.AddOrganizationName("fleet");
        var request = new CertificateRequest(subject.Build(), newKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var created = request.CreateSelfSigned(now - Backdate, now + Lifetime);
        var publicOnly = X509CertificateLoader.LoadCertificate(created.RawData);
        PemFiles.WriteKey(keyPath, newKey);
        PemFiles.WriteCertificate(certificatePath, publicOnly);
        return new CertificateAuthority(newKey, publicOnly);
    }

    /// <summary>
    /// The coordinator's own TLS certificate for the agent port, with its key: serverAuth only, its
    /// names as SANs (agents match the host they dial against these, never against the CN).
    /// </summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> names, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName("fleet-coordinator");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        var sans = new SubjectAlternativeNameBuilder();
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(name, out var address))
            {
                sans.AddIpAddress(address);
            }
            else
            {
                sans.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(sans.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(FleetCaTrust.ServerAuthOid)], false));
        using var certificate = Sign(request, now, TimeSpan.FromDays(365));
        return certificate.CopyWithPrivateKey(key);
    }

    /// <summary>Signs a client certificate (clientAuth only, no SAN: never a server's) for the public key of a verified CSR, with the subject the coordinator chose.</summary>
    public X509Certificate2 IssueClientCertificate(PublicKey publicKey, X500DistinguishedName subject, DateTimeOffset now, TimeSpan lifetime)
    {
        var request = new CertificateRequest(subject, publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(FleetCaTrust.ClientAuthOid)], false));
        return Sign(request, now, lifetime);
    }

    /// <summary>True when <paramref name="certificate"/> is a client certificate (node or admin) signed by this CA and valid at <paramref name="at"/>.</summary>
    public bool Verifies(X509Certificate2 certificate, DateTimeOffset at)
        => FleetCaTrust.IsValid(certificate, Certificate, CertificateRole.Client, at); // revocation is the store's: see the identity resolvers

    private X509Certificate2 Sign(CertificateRequest request, DateTimeOffset now, TimeSpan lifetime)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // positive
        var notAfter = now + lifetime;
        if (notAfter > Certificate.NotAfter)
        {
            notAfter = Certificate.NotAfter;
        }

        return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now - Backdate, notAfter, serial);
    }

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }
}

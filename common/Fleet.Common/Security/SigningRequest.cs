using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Security;

/// <summary>A new key, made where it will be used, and a PKCS#10 request for a certificate of it.</summary>
public sealed class SigningRequest : IDisposable
{
    private SigningRequest(ECDsa key, byte[] der)
    {
        Key = key;
        Der = der;
    }

    /// <summary>The private key: it stays on this machine.</summary>
    public ECDsa Key { get; }

    /// <summary>The CSR (DER), signed with <see cref="Key"/>; subject CN = <c>commonName</c>.</summary>
    public byte[] Der { get; }

    public static SigningRequest Create(string commonName)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(commonName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        return new SigningRequest(key, request.CreateSigningRequest());
    }

    /// <summary>The issued certificate joined with this key.</summary>
    public X509Certificate2 Join(byte[] certificateDer)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
        return certificate.CopyWithPrivateKey(Key);
    }

    public void Dispose() => Key.Dispose();
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>kubeadm's `--discovery-token-ca-cert-hash`: "sha256:" and the hex SHA-256 of the CA certificate's DER SubjectPublicKeyInfo.</summary>
public static class CaCertHash
{
    public static string Of(X509Certificate2 ca) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(ca.PublicKey.ExportSubjectPublicKeyInfo()));

    /// <summary>The hash of the first certificate in PEM or DER bytes (certificate-authority-data holds PEM).</summary>
    public static string OfCertificateData(byte[] data)
    {
        using var ca = Load(data);
        return Of(ca);
    }

    private static X509Certificate2 Load(byte[] data)
    {
        var text = System.Text.Encoding.ASCII.GetString(data);
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            return X509Certificate2.CreateFromPem(text);
        }

        return X509CertificateLoader.LoadCertificate(data);
    }
}

namespace Fleet.Coordinator.Enrollment;

/// <summary>An enrolled node: the identity its certificates carry, and whether an operator approved it.</summary>
public sealed record EnrollmentRecord(string NodeId, string Name, bool Approved, string TokenId, DateTimeOffset EnrolledAt);

/// <summary>
/// A client certificate the CA issued (node or admin); revoked ones are refused at connect.
/// <paramref name="Sha256"/> is its fingerprint ("sha256:" and the hex SHA-256 of its DER), recorded
/// at issue time; null for a certificate issued before the store kept fingerprints.
/// </summary>
public sealed record IssuedCertificate(string Serial, string Kind, string Name, string? NodeId, DateTimeOffset NotBefore, DateTimeOffset NotAfter, DateTimeOffset? RevokedAt, string? Sha256 = null)
{
    public static IssuedCertificate Of(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string kind, string name, string? nodeId) =>
        new(SerialOf(certificate), kind, name, nodeId, certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime(), null, FingerprintOf(certificate));

    public static string FingerprintOf(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.RawData));

    public static string SerialOf(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) => certificate.SerialNumber.ToLowerInvariant();
}

namespace Fleet.Coordinator.Enrollment;

/// <summary>An enrolled node: the identity its certificates carry, and whether an operator approved it.</summary>
public sealed record EnrollmentRecord(string NodeId, string Name, bool Approved, string TokenId, DateTimeOffset EnrolledAt);

/// <summary>A client certificate the CA issued (node or admin); revoked ones are refused at connect.</summary>
public sealed record IssuedCertificate(string Serial, string Kind, string Name, string? NodeId, DateTimeOffset NotBefore, DateTimeOffset NotAfter, DateTimeOffset? RevokedAt)
{
    public static IssuedCertificate Of(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string kind, string name, string? nodeId) =>
        new(SerialOf(certificate), kind, name, nodeId, certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime(), null);

    public static string SerialOf(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) => certificate.SerialNumber.ToLowerInvariant();
}

namespace Fleet.Coordinator.Enrollment;

/// <summary>Enrolled nodes and the certificates issued to nodes and admins.</summary>
public interface IEnrollmentStore
{
    /// <summary>
    /// Enrolls a node with a join token, in one transaction and in this order: the token (exists,
    /// secret, not revoked or expired, uses left), then the name (not enrolled), then
    /// <paramref name="issue"/> (the node's first certificate), the enrollment, the certificate and
    /// one use of the token. A refused token writes nothing and says nothing about the name; a name
    /// clash throws <see cref="Nodes.NodeNameConflictException"/> and consumes no use.
    /// </summary>
    Task<TokenCheck> EnrollAsync(string tokenId, byte[] secretHash, string name, DateTimeOffset at, Func<(EnrollmentRecord Enrollment, IssuedCertificate Certificate)> issue, CancellationToken ct);

    /// <summary>Records a new node and its first certificate. Throws <see cref="Nodes.NodeNameConflictException"/> when the name is enrolled already.</summary>
    Task AddEnrollmentAsync(EnrollmentRecord enrollment, IssuedCertificate certificate, CancellationToken ct);

    Task<EnrollmentRecord?> FindEnrollmentAsync(string nodeId, CancellationToken ct);

    Task<EnrollmentRecord?> FindEnrollmentByNameAsync(string name, CancellationToken ct);

    /// <summary>Approves a node; null when no node of that name is enrolled.</summary>
    Task<EnrollmentRecord?> ApproveAsync(string name, CancellationToken ct);

    /// <summary>Revokes every certificate of the node and forgets its enrollment; returns how many certificates were revoked, or null when unknown.</summary>
    Task<int?> RemoveAsync(string name, DateTimeOffset at, CancellationToken ct);

    /// <summary>True while the node is enrolled under <paramref name="name"/> and the certificate <paramref name="serial"/> is its own and not revoked.</summary>
    Task<bool> IsCurrentAsync(string nodeId, string name, string serial, CancellationToken ct);

    Task AddCertificateAsync(IssuedCertificate certificate, CancellationToken ct);

    /// <summary>
    /// A node's renewal, as one transaction: revokes <paramref name="previousSerial"/> (it must be a node
    /// certificate not revoked yet) and every other certificate of the node still valid, and records
    /// <paramref name="renewed"/>. False, and nothing changed, when the previous certificate is revoked already
    /// (a second holder of it renewed first, or the node was removed).
    /// </summary>
    Task<bool> ReplaceCertificateAsync(string previousSerial, IssuedCertificate renewed, DateTimeOffset at, CancellationToken ct);

    Task<IssuedCertificate?> FindCertificateAsync(string serial, CancellationToken ct);

    /// <summary>Every certificate of one kind (e.g. the admins'), revoked ones included, oldest first.</summary>
    Task<IReadOnlyList<IssuedCertificate>> ListCertificatesAsync(string kind, CancellationToken ct);

    /// <summary>Revokes one certificate of the given kind; false when there is no such certificate.</summary>
    Task<bool> RevokeCertificateAsync(string serial, string kind, DateTimeOffset at, CancellationToken ct);
}

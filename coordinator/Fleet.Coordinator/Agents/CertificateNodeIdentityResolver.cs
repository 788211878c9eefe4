using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Security;
using Grpc.Core;

namespace Fleet.Coordinator.Agents;

/// <summary>
/// The node identity from the TLS client certificate: signed by the Fleet CA, valid now, a node
/// subject (CN = name, SERIALNUMBER = node id), issued by this coordinator (its serial is in the
/// store), not revoked, and its node still enrolled. Every refusal is logged.
/// </summary>
public sealed class CertificateNodeIdentityResolver(
    CertificateAuthority ca,
    IEnrollmentStore enrollments,
    TimeProvider time,
    ILogger<CertificateNodeIdentityResolver> logger) : INodeIdentityResolver
{
    public async Task<NodeIdentity> ResolveAsync(ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var certificate = context.GetHttpContext().Connection.ClientCertificate
            ?? throw Refuse(StatusCode.Unauthenticated, context, "(none)", "no client certificate: enroll the node first (fleet-agent enroll)");
        var subject = certificate.Subject;
        if (!ca.Verifies(certificate, time.GetUtcNow()))
        {
            throw Refuse(StatusCode.Unauthenticated, context, subject, "the client certificate is not valid now or not signed by the Fleet CA");
        }

        if (ClientSubject.Of(certificate) is not { Kind: ClientSubject.NodeKind, NodeId: { } nodeId } node)
        {
            throw Refuse(StatusCode.PermissionDenied, context, subject, "the client certificate is not a node certificate");
        }

        var issued = await enrollments.FindCertificateAsync(IssuedCertificate.SerialOf(certificate), ct);
        if (issued is null || issued.NodeId != nodeId)
        {
            throw Refuse(StatusCode.PermissionDenied, context, subject, "the client certificate was not issued by this coordinator");
        }

        if (issued.RevokedAt is not null)
        {
            throw Refuse(StatusCode.PermissionDenied, context, subject, "the node's certificate is revoked (fleetctl nodes remove, or renewed since: a renewal revokes the certificate it replaces); enroll it again with a new token");
        }

        var enrollment = await enrollments.FindEnrollmentAsync(nodeId, ct);
        if (enrollment is null || enrollment.Name != node.Name)
        {
            throw Refuse(StatusCode.PermissionDenied, context, subject, "the node is not enrolled (removed?); enroll it again with a new token");
        }

        return new NodeIdentity(nodeId, node.Name, enrollment.Approved, issued.Serial);
    }

    private RpcException Refuse(StatusCode code, ServerCallContext context, string subject, string reason)
    {
        CoordinatorLog.IdentityRefused(logger, subject, context.Peer, reason);
        return new RpcException(new Status(code, reason));
    }
}

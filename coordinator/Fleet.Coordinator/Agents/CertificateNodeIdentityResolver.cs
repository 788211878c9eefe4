using System.Security.Cryptography.X509Certificates;
using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Security;
using Grpc.Core;

namespace Fleet.Coordinator.Agents;

/// <summary>
/// The node identity from the TLS client certificate: signed by the Fleet CA, valid now, a node
/// subject (CN = name, SERIALNUMBER = node id), issued by this coordinator (its serial is in the
/// store), not revoked, and its node still enrolled. A refusal is logged once per node per interval
/// (<see cref="RefusedIdentityLog"/>), not at every attempt of an agent that keeps calling. The three
/// refusals that are for good (revoked, not enrolled, not issued here) carry <see cref="IdentityRefusal"/>
/// trailers, so the agent can stop instead of retrying forever.
/// </summary>
public sealed class CertificateNodeIdentityResolver(
    CertificateAuthority ca,
    IEnrollmentStore enrollments,
    RefusedIdentityLog refusals,
    RefusedIdentityLogOptions options,
    TimeProvider time,
    ILogger<CertificateNodeIdentityResolver> logger) : INodeIdentityResolver
{
    public async Task<NodeIdentity> ResolveAsync(ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var certificate = context.GetHttpContext().Connection.ClientCertificate
            ?? throw Refuse(StatusCode.Unauthenticated, context, null, "no client certificate: enroll the node first (fleet-agent enroll)");
        if (!ca.Verifies(certificate, time.GetUtcNow()))
        {
            throw Refuse(StatusCode.Unauthenticated, context, certificate, "the client certificate is not valid now or not signed by the Fleet CA");
        }

        if (ClientSubject.Of(certificate) is not { Kind: ClientSubject.NodeKind, NodeId: { } nodeId } node)
        {
            throw Refuse(StatusCode.PermissionDenied, context, certificate, "the client certificate is not a node certificate");
        }

        var issued = await enrollments.FindCertificateAsync(IssuedCertificate.SerialOf(certificate), ct);
        if (issued is null || issued.NodeId != nodeId)
        {
            throw Refuse(StatusCode.PermissionDenied, context, certificate, "the client certificate was not issued by this coordinator; enroll the node again with a new token", IdentityRefusal.UnknownCertificate);
        }

        if (issued.RevokedAt is not null)
        {
            throw Refuse(StatusCode.PermissionDenied, context, certificate, "the node's certificate is revoked (fleetctl nodes remove, or renewed since: a renewal revokes the certificate it replaces); enroll it again with a new token", IdentityRefusal.Revoked);
        }

        var enrollment = await enrollments.FindEnrollmentAsync(nodeId, ct);
        if (enrollment is null || enrollment.Name != node.Name)
        {
            throw Refuse(StatusCode.PermissionDenied, context, certificate, "the node is not enrolled (removed?); enroll it again with a new token", IdentityRefusal.NotEnrolled);
        }

        return new NodeIdentity(nodeId, node.Name, enrollment.Approved, issued.Serial);
    }

    /// <param name="definitive">The <see cref="IdentityRefusal"/> reason when the refusal is for good; null when the agent should retry.</param>
    private RpcException Refuse(StatusCode code, ServerCallContext context, X509Certificate2? certificate, string reason, string? definitive = null)
    {
        var subject = certificate?.Subject ?? "(none)";
        // One line per node per interval: keyed by the node id a node certificate names, else by its subject.
        var key = certificate is null ? subject : ClientSubject.Of(certificate)?.NodeId ?? subject;
        if (refusals.ShouldLog(key, out var suppressed))
        {
            CoordinatorLog.NodeIdentityRefused(logger, subject, context.Peer, reason, suppressed, options.Interval.TotalMinutes);
        }

        return definitive is null || certificate is null
            ? new RpcException(new Status(code, reason))
            : new RpcException(new Status(code, reason), IdentityRefusal.Trailers(definitive, IssuedCertificate.SerialOf(certificate)));
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Security;
using Fleet.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Fleet.Coordinator.Enrollment;

/// <summary>
/// Turns a join token and a CSR into a node certificate, and renews it for an authenticated node.
/// The node name comes from the CSR's CN; the node id is made here; the key never comes here.
/// The token's secret is never logged: only its id.
/// </summary>
public sealed class Enroller(
    CertificateAuthority ca,
    CoordinatorTlsNames tlsNames,
    IEnrollmentStore enrollments,
    CoordinatorOptions options,
    TimeProvider time,
    ILogger<Enroller> logger)
{
    public async Task<EnrollResponse> EnrollAsync(EnrollRequest request, string peer, CancellationToken ct)
    {
        if (!JoinToken.TryParse(request.Token, out var token))
        {
            throw Refuse(StatusCode.Unauthenticated, "(malformed)", peer, "the join token is not ID.SECRET as printed by `fleetctl token create`");
        }

        // The CSR is only parsed here (no state is read); the token is checked before the name, in
        // the enrollment's own transaction: without a valid token nobody learns which names are
        // enrolled, and a name clash consumes no use of the token.
        var (publicKey, name) = ReadCsr(request.Csr);
        if (tlsNames.Problem(name) is { } reserved)
        {
            // The coordinator's own names, which its certificate shows to every TLS client: refusing them tells nothing and spends no token use.
            throw Refuse(StatusCode.InvalidArgument, token.Id, peer, $"csr: subject CN: {reserved}");
        }

        var now = time.GetUtcNow();
        var nodeId = Guid.NewGuid().ToString("N");
        X509Certificate2? issued = null;
        try
        {
            TokenCheck check;
            try
            {
                check = await enrollments.EnrollAsync(token.Id, token.SecretHash(), name, now, () =>
                {
                    issued = ca.IssueClientCertificate(publicKey, ClientSubject.ForNode(name, nodeId), now, options.NodeCertificateLifetime);
                    return (new EnrollmentRecord(nodeId, name, !options.RequireApproval, token.Id, now), IssuedCertificate.Of(issued, ClientSubject.NodeKind, name, nodeId));
                }, ct);
            }
            catch (NodeNameConflictException)
            {
                throw Refuse(StatusCode.AlreadyExists, token.Id, peer, $"node \"{name}\" is enrolled already; `fleetctl nodes remove {name}` first to enroll it again");
            }

            if (check != TokenCheck.Accepted || issued is not { } certificate)
            {
                throw Refuse(StatusCode.Unauthenticated, token.Id, peer, check switch
                {
                    TokenCheck.Expired => $"join token {token.Id} has expired",
                    TokenCheck.UsedUp => $"join token {token.Id} has been used as many times as it allows",
                    TokenCheck.Revoked => $"join token {token.Id} is revoked",
                    _ => "the join token is not known to this coordinator",
                });
            }

            CoordinatorLog.NodeEnrolled(logger, name, nodeId, token.Id, peer, certificate.NotAfter.ToUniversalTime(), options.RequireApproval);
            return new EnrollResponse
            {
                Certificate = ByteString.CopyFrom(certificate.RawData),
                CaCertificate = ByteString.CopyFrom(ca.Certificate.RawData),
                NodeId = nodeId,
            };
        }
        finally
        {
            issued?.Dispose();
        }
    }

    public async Task<RenewCertificateResponse> RenewAsync(NodeIdentity node, RenewCertificateRequest request, string peer, CancellationToken ct)
    {
        var (publicKey, name) = ReadCsr(request.Csr);
        if (name != node.Name)
        {
            throw Refuse(StatusCode.PermissionDenied, "-", peer, $"node \"{node.Name}\" asked for a certificate for \"{name}\"");
        }

        var now = time.GetUtcNow();
        using var certificate = ca.IssueClientCertificate(publicKey, ClientSubject.ForNode(node.Name, node.NodeId), now, options.NodeCertificateLifetime);
        // The certificate renewed away is revoked with it: a copy of the node's key and certificate
        // (stolen, or a cloned disk) stops working when the real node renews, and only one holder can renew.
        if (!await enrollments.ReplaceCertificateAsync(node.CertificateSerial, IssuedCertificate.Of(certificate, ClientSubject.NodeKind, node.Name, node.NodeId), now, ct))
        {
            throw Refuse(StatusCode.PermissionDenied, "-", peer, $"node \"{node.Name}\": the certificate presented was revoked meanwhile (renewed by another holder of it, or the node was removed)");
        }
        CoordinatorLog.CertificateRenewed(logger, node.Name, certificate.NotAfter.ToUniversalTime());
        return new RenewCertificateResponse { Certificate = ByteString.CopyFrom(certificate.RawData) };
    }

    /// <summary>Checks a CSR's signature (it proves possession of the key) and reads its CN.</summary>
    public static (PublicKey Key, string Name) ReadCsr(ByteString der)
    {
        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequest(der.ToByteArray(), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (Exception ex) when (ex is CryptographicException or NotSupportedException) // an unknown signature algorithm or curve is NotSupported, not Cryptographic (found by CsrMutationTests)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"csr: not a valid signed PKCS#10 request ({ex.Message})"));
        }

        try
        {
            using var key = csr.PublicKey.GetECDsaPublicKey();
            if (key is null || key.KeySize < 256)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "csr: the key must be ECDSA, P-256 or larger"));
            }
        }
        catch (Exception ex) when (ex is CryptographicException or NotSupportedException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"csr: the key must be ECDSA, P-256 or larger ({ex.Message})"));
        }

        var cn = csr.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(r => !r.HasMultipleElements && r.GetSingleElementType().Value == "2.5.4.3")
            .Select(r => r.GetSingleElementValue())
            .SingleOrDefault();
        if (NodeNames.Problem(cn ?? "") is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"csr: subject CN: {problem}"));
        }

        return (csr.PublicKey, cn!);
    }

    private RpcException Refuse(StatusCode code, string tokenId, string peer, string reason)
    {
        CoordinatorLog.EnrollmentRefused(logger, tokenId, peer, reason);
        return new RpcException(new Status(code, reason));
    }
}

using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Security;
using Fleet.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

/// <summary>Signs admin client certificates for the TCP control listener. Only reachable by an operator already on the control API.</summary>
public sealed class AdminCertificates(CertificateAuthority ca, IEnrollmentStore store, CoordinatorOptions options, TimeProvider time, ILogger<AdminCertificates> logger)
{
    public async Task<CreateAdminCertificateResponse> CreateAsync(CreateAdminCertificateRequest request, CancellationToken ct)
    {
        var (publicKey, name) = Enroller.ReadCsr(request.Csr);
        using var certificate = ca.IssueClientCertificate(publicKey, ClientSubject.ForAdmin(name), time.GetUtcNow(), options.AdminCertificateLifetime);
        await store.AddCertificateAsync(IssuedCertificate.Of(certificate, ClientSubject.AdminKind, name, null), ct);
        CoordinatorLog.AdminCertificateIssued(logger, name, IssuedCertificate.SerialOf(certificate), certificate.NotAfter.ToUniversalTime());
        return new CreateAdminCertificateResponse
        {
            Certificate = ByteString.CopyFrom(certificate.RawData),
            CaCertificate = ByteString.CopyFrom(ca.Certificate.RawData),
        };
    }

    public async Task<RevokeAdminCertificateResponse> RevokeAsync(RevokeAdminCertificateRequest request, CancellationToken ct)
    {
        var serial = request.Serial.Trim().ToLowerInvariant();
        var issued = await store.FindCertificateAsync(serial, ct);
        if (issued is not { Kind: ClientSubject.AdminKind } || !await store.RevokeCertificateAsync(serial, ClientSubject.AdminKind, time.GetUtcNow(), ct))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no admin certificate with serial {serial}"));
        }

        CoordinatorLog.AdminCertificateRevoked(logger, issued.Name, serial);
        return new RevokeAdminCertificateResponse { Name = issued.Name };
    }

    /// <summary>What was recorded when each admin certificate was issued (never a key: the coordinator never had one).</summary>
    public async Task<ListAdminCertificatesResponse> ListAsync(CancellationToken ct)
    {
        var response = new ListAdminCertificatesResponse();
        foreach (var c in await store.ListCertificatesAsync(ClientSubject.AdminKind, ct))
        {
            response.Certificates.Add(new AdminCertificate
            {
                Name = c.Name,
                Serial = c.Serial,
                Sha256 = c.Sha256 ?? "",
                NotBefore = Timestamp.FromDateTimeOffset(c.NotBefore),
                NotAfter = Timestamp.FromDateTimeOffset(c.NotAfter),
                RevokedAt = c.RevokedAt is { } at ? Timestamp.FromDateTimeOffset(at) : null,
            });
        }

        return response;
    }
}

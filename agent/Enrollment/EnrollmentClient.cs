using System.Security.Cryptography.X509Certificates;
using Fleet.Security;
using Fleet.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Enrollment;

/// <summary>
/// `fleet-agent enroll`: fetches the coordinator's CA and checks it against the pin before anything
/// secret is sent; then, over TLS that trusts only that CA, sends the join token and a CSR for a
/// key made here, and stores key, certificate and CA in the state folder.
/// </summary>
public sealed class EnrollmentClient(NodeCredentials credentials, TimeProvider time, ILogger<EnrollmentClient> logger)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public async Task EnrollAsync(Uri coordinator, string token, string caPin, string nodeName, CancellationToken ct)
    {
        if (coordinator.Scheme != Uri.UriSchemeHttps)
        {
            throw new EnrollmentException($"--coordinator must be an https:// URL, not {coordinator}");
        }

        if (!CaPin.TryParse(caPin, out var pin))
        {
            throw new EnrollmentException($"--ca-pin: \"{caPin}\" is not sha256:<64 hex characters> as printed by `fleetctl token create`");
        }

        var ca = await FetchPinnedCaAsync(coordinator, pin, ct);
        using var request = SigningRequest.Create(nodeName);
        using var handler = CoordinatorTls.Handler(ca, null, logger);
        using var channel = GrpcChannel.ForAddress(coordinator, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        EnrollResponse response;
        try
        {
            response = await new AgentService.AgentServiceClient(channel).EnrollAsync(
                new EnrollRequest { Token = token, Csr = ByteString.CopyFrom(request.Der) },
                deadline: DateTime.UtcNow + CallTimeout,
                cancellationToken: ct);
        }
        catch (RpcException ex)
        {
            throw new EnrollmentException($"the coordinator refused the enrollment: {Session.CoordinatorConnection.Describe(ex)}");
        }

        using var certificate = request.Join(response.Certificate.ToByteArray());
        if (certificate.GetNameInfo(X509NameType.SimpleName, false) != nodeName || !FleetCaTrust.IsValid(certificate, ca, CertificateRole.Client, time.GetUtcNow()))
        {
            throw new EnrollmentException("the coordinator returned a certificate that is not this node's or not from its CA");
        }

        credentials.Save(request.Key, certificate, ca);
        AgentLog.Enrolled(logger, nodeName, response.NodeId, coordinator.ToString(), certificate.NotAfter.ToUniversalTime());
    }

    /// <summary>The CA the coordinator presents, if and only if its SubjectPublicKeyInfo hashes to the pin.</summary>
    private static async Task<X509Certificate2> FetchPinnedCaAsync(Uri coordinator, string pin, CancellationToken ct)
    {
        // This first call carries nothing secret. The server's certificate cannot be checked before
        // the CA is known: it is kept, and checked against the CA once the pin has vouched for it.
        X509Certificate2? presented = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            SslOptions =
            {
                // Whatever the server presents, nothing it names (an AIA URL) is fetched.
                CertificateChainPolicy = new X509ChainPolicy { DisableCertificateDownloads = true, RevocationMode = X509RevocationMode.NoCheck },
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return presented is not null;
                },
            },
        };
        using var channel = GrpcChannel.ForAddress(coordinator, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        CaCertificate answer;
        try
        {
            answer = await new AgentService.AgentServiceClient(channel).GetCaCertificateAsync(new GetCaCertificateRequest(), deadline: DateTime.UtcNow + CallTimeout, cancellationToken: ct);
        }
        catch (RpcException ex)
        {
            throw new EnrollmentException($"cannot reach the coordinator at {coordinator}: {Session.CoordinatorConnection.Describe(ex)}");
        }

        X509Certificate2 ca;
        try
        {
            ca = X509CertificateLoader.LoadCertificate(answer.Der.ToByteArray());
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw new EnrollmentException($"the coordinator at {coordinator} sent something that is not a certificate as its CA");
        }

        if (!CaPin.Matches(ca, pin))
        {
            throw new EnrollmentException($"the coordinator's CA is {CaPin.Of(ca)}, not the pinned {pin}: refusing to send the token (wrong coordinator, or someone in between)");
        }

        var problem = presented is null ? "it presented none" : FleetCaTrust.ServerProblem(presented, ca, coordinator.IdnHost);
        if (problem is not null)
        {
            throw new EnrollmentException($"the coordinator at {coordinator} presents a TLS certificate that is not its own ({problem}): refusing to send the token");
        }

        return ca;
    }
}

/// <summary>Enrollment failed; the message says why, in one line.</summary>
public sealed class EnrollmentException(string message) : Exception(message);

using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Fleet.Agent.Session;
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
/// key made here, and stores key, certificate and CA in the state folder. A call that could not even
/// connect (the coordinator not up yet, a board too busy to finish the handshake in time) is tried
/// again with backoff for up to <see cref="ConnectDeadline"/>, as kubeadm's discovery does; nothing
/// that reached the coordinator is ever sent twice, so a token use is never spent by a retry.
/// </summary>
public sealed class EnrollmentClient(NodeCredentials credentials, TimeProvider time, ILogger<EnrollmentClient> logger)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long enrollment keeps trying to connect before it gives up.</summary>
    public static readonly TimeSpan ConnectDeadline = TimeSpan.FromMinutes(5);

    private readonly Backoff _backoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), Random.Shared);

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

        var giveUpAt = time.GetUtcNow() + ConnectDeadline;
        var ca = await UntilConnectedAsync(coordinator, giveUpAt, () => FetchPinnedCaAsync(coordinator, pin, ct), ct);
        using var request = SigningRequest.Create(nodeName);
        using var handler = CoordinatorTls.Handler(ca, null, logger);
        using var channel = GrpcChannel.ForAddress(coordinator, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        EnrollResponse response;
        try
        {
            response = await UntilConnectedAsync(coordinator, giveUpAt, async () => await new AgentService.AgentServiceClient(channel).EnrollAsync(
                new EnrollRequest { Token = token, Csr = ByteString.CopyFrom(request.Der) },
                deadline: DateTime.UtcNow + CallTimeout,
                cancellationToken: ct), ct);
        }
        catch (RpcException ex)
        {
            throw new EnrollmentException(
                NeverConnected(ex)
                    ? $"cannot reach the coordinator at {coordinator}: {CoordinatorConnection.Describe(ex)}"
                    : $"the coordinator refused the enrollment: {CoordinatorConnection.Describe(ex)}",
                ex);
        }

        using var certificate = request.Join(response.Certificate.ToByteArray());
        if (certificate.GetNameInfo(X509NameType.SimpleName, false) != nodeName || !FleetCaTrust.IsValid(certificate, ca, CertificateRole.Client, time.GetUtcNow()))
        {
            throw new EnrollmentException("the coordinator returned a certificate that is not this node's or not from its CA");
        }

        credentials.Save(request.Key, certificate, ca);
        AgentLog.Enrolled(logger, nodeName, response.NodeId, coordinator.ToString(), certificate.NotAfter.ToUniversalTime());
    }

    /// <summary>Runs <paramref name="call"/>, again after a backoff while it fails without having connected and <paramref name="giveUpAt"/> is not reached.</summary>
    private async Task<T> UntilConnectedAsync<T>(Uri coordinator, DateTimeOffset giveUpAt, Func<Task<T>> call, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (NeverConnected(ex) && _backoff.Delay(attempt) is var delay && time.GetUtcNow() + delay < giveUpAt)
            {
                AgentLog.EnrollRetrying(logger, coordinator.ToString(), attempt, CoordinatorConnection.Describe(ex.InnerException ?? ex), delay.TotalSeconds);
                await Task.Delay(delay, time, ct);
            }
        }
    }

    /// <summary>
    /// True when the call failed before any connection to the coordinator was made (refused, unreachable,
    /// or the TCP and TLS handshake not done within the connect timeout): then nothing was sent, and
    /// trying again is safe. A failure after that (an answer, a reset mid-call) is never retried.
    /// </summary>
    internal static bool NeverConnected(Exception? ex) => ex switch
    {
        null => false,
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
        SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TimedOut or SocketError.HostNotFound or SocketError.TryAgain } => true,
        TimeoutException => true, // the connect timeout (TCP and TLS handshake); a call's own deadline is DeadlineExceeded
        RpcException rpc => NeverConnected(rpc.Status.DebugException),
        _ => NeverConnected(ex.InnerException),
    };

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
            throw new EnrollmentException($"cannot reach the coordinator at {coordinator}: {CoordinatorConnection.Describe(ex)}", ex);
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
public sealed class EnrollmentException(string message, Exception? inner = null) : Exception(message, inner);

using System.Security.Cryptography.X509Certificates;
using Fleet.Security;
using Fleet.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Enrollment;

/// <summary>
/// Renews the node certificate at two thirds of its lifetime: a new key made here, a CSR sent over
/// the authenticated channel (RenewCertificate needs the current certificate; the coordinator revokes
/// it as it issues the new one), the new key and certificate used at once and stored as one set
/// (a disk that refuses them is retried every <see cref="RetryDelay"/> while they stay in use). A failure is retried every <see cref="RetryDelay"/> until it works or the
/// certificate expires (then `fleet-agent enroll` again).
/// </summary>
public sealed class CertificateRenewer(
    NodeCredentials credentials,
    AgentService.AgentServiceClient client,
    TimeProvider time,
    ILogger<CertificateRenewer> logger) : BackgroundService
{
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    /// <summary>When a certificate is due for renewal: two thirds into its validity.</summary>
    public static DateTimeOffset DueAt(X509Certificate2 certificate)
    {
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        return notBefore + (notAfter - notBefore) * 2 / 3;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (credentials.SavePending && !TryPersist())
                {
                    await Task.Delay(RetryDelay, time, stoppingToken);
                    continue;
                }

                var wait = DueAt(credentials.Certificate) - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    // In steps of at most a day: Task.Delay has an upper bound, and clocks get corrected.
                    await Task.Delay(wait < LongestWait ? wait : LongestWait, time, stoppingToken);
                    continue;
                }

                try
                {
                    await RenewAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is RpcException or System.Security.Cryptography.CryptographicException or IOException)
                {
                    AgentLog.RenewalFailed(logger, Session.CoordinatorConnection.Describe(ex), credentials.Certificate.NotAfter.ToUniversalTime(), RetryDelay.TotalMinutes);
                    await Task.Delay(RetryDelay, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task RenewAsync(CancellationToken ct)
    {
        var name = credentials.Certificate.GetNameInfo(X509NameType.SimpleName, false);
        using var request = SigningRequest.Create(name);
        var response = await client.RenewCertificateAsync(
            new RenewCertificateRequest { Csr = ByteString.CopyFrom(request.Der) },
            deadline: DateTime.UtcNow + TimeSpan.FromSeconds(30), // a network deadline: real time, not the node's schedule
            cancellationToken: ct);
        var ca = credentials.Ca;
        using var certificate = request.Join(response.Certificate.ToByteArray());
        if (certificate.GetNameInfo(X509NameType.SimpleName, false) != name || !FleetCaTrust.IsValid(certificate, ca, CertificateRole.Client, time.GetUtcNow()))
        {
            throw new System.Security.Cryptography.CryptographicException("the coordinator returned a certificate that is not this node's or not from its CA");
        }

        try
        {
            credentials.Save(request.Key, certificate, ca);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && credentials.SavePending)
        {
            // In use already (the coordinator revoked the previous certificate); the loop stores it.
        }

        AgentLog.CertificateRenewed(logger, certificate.NotAfter.ToUniversalTime());
    }

    /// <summary>Stores credentials that are in use but that the disk refused before (full, read-only).</summary>
    private bool TryPersist()
    {
        try
        {
            credentials.Persist();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CredentialsLog.SaveFailed(logger, ex.Message, RetryDelay.TotalMinutes);
            return false;
        }
    }
}

using Fleet.Agent.Enrollment;
using Fleet.V1;

namespace Fleet.Agent.Health;

/// <summary>
/// The node certificate's expiry: ok until renewal is due, warning once it is overdue (renewal keeps
/// failing), failing in its last day or after it has expired (the node will be refused).
/// </summary>
public sealed class CertificateCheck(NodeCredentials credentials, TimeProvider time) : INodeHealthCheck
{
    public string Name => "certificate";

    public Task<HealthCheck> CheckAsync(CancellationToken ct)
    {
        var certificate = credentials.Certificate;
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var left = notAfter - time.GetUtcNow();
        var reason = left > TimeSpan.Zero
            ? $"node certificate valid until {notAfter:u} ({left.TotalDays:0.#} days left)"
            : $"node certificate expired at {notAfter:u}: enroll the node again";
        var status = left < TimeSpan.FromDays(1) ? HealthStatus.Failing
            : time.GetUtcNow() > CertificateRenewer.DueAt(certificate) ? HealthStatus.Warning
            : HealthStatus.Ok;
        return Task.FromResult(Check.Of(Name, status, reason));
    }
}

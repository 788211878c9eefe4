using Grpc.Core;

namespace Fleet;

/// <summary>
/// The coordinator's word that it refuses a node's certificate for good: the node was removed, the
/// certificate was revoked, or this coordinator never issued it. Sent as response trailers beside a
/// PermissionDenied status, so the agent decides on a contract rather than on the wording of a detail
/// a person reads. Every other failure (no answer, a TLS error, a clock that disagrees, a rate limit,
/// a coordinator that sends no trailer) is transient for the agent: it keeps retrying.
/// Part of the AgentService contract (trailers of Connect and RenewCertificate), hence here.
/// </summary>
public static class IdentityRefusal
{
    /// <summary>Trailer: why the certificate is refused (<see cref="Revoked"/>, <see cref="NotEnrolled"/>, <see cref="UnknownCertificate"/>).</summary>
    public const string ReasonKey = "fleet-identity-refused";

    /// <summary>Trailer: the serial (lowercase hex) of the certificate refused, so an agent that renewed since can tell it is not about its current one.</summary>
    public const string SerialKey = "fleet-certificate-serial";

    public const string Revoked = "revoked";
    public const string NotEnrolled = "not-enrolled";
    public const string UnknownCertificate = "unknown-certificate";

    public static Metadata Trailers(string reason, string serial) => new()
    {
        { ReasonKey, reason },
        { SerialKey, serial.ToLowerInvariant() },
    };

    /// <summary>
    /// The definitive reason in a failed call, or null when the failure is not a definitive refusal of
    /// the certificate with serial <paramref name="currentSerial"/> (the one the agent holds now).
    /// </summary>
    public static string? DefinitiveReason(RpcException ex, string currentSerial)
    {
        if (ex.StatusCode != StatusCode.PermissionDenied)
        {
            return null;
        }

        var reason = ex.Trailers.GetValue(ReasonKey);
        var serial = ex.Trailers.GetValue(SerialKey);
        return reason is Revoked or NotEnrolled or UnknownCertificate
            && string.Equals(serial, currentSerial, StringComparison.OrdinalIgnoreCase)
            ? reason
            : null;
    }
}

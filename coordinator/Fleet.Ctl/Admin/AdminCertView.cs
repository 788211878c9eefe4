using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Ctl.Admin;

/// <summary>An admin certificate as `admin-cert list` shows it (-o json): what the coordinator recorded at issue time, never a key.</summary>
public sealed record AdminCertView(string Name, string Serial, string Status, string? Sha256, DateTimeOffset NotBefore, DateTimeOffset NotAfter, DateTimeOffset? RevokedAt)
{
    public static AdminCertView From(AdminCertificate certificate, DateTimeOffset now)
    {
        DateTimeOffset? revokedAt = certificate.RevokedAt?.ToDateTimeOffset();
        var notAfter = certificate.NotAfter.ToDateTimeOffset();
        return new(
            Name: certificate.Name,
            Serial: certificate.Serial,
            Status: revokedAt is not null ? "revoked" : notAfter <= now ? "expired" : "valid",
            Sha256: certificate.Sha256.Length == 0 ? null : certificate.Sha256,
            NotBefore: certificate.NotBefore.ToDateTimeOffset(),
            NotAfter: notAfter,
            RevokedAt: revokedAt);
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(Fleet.Ctl.Output.Rfc3339Converter)])]
[JsonSerializable(typeof(List<AdminCertView>))]
internal sealed partial class AdminCertJson : JsonSerializerContext;

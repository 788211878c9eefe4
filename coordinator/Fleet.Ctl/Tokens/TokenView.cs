using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Ctl.Tokens;

/// <summary>A join token as fleetctl lists it (-o json): never its secret.</summary>
public sealed record TokenView(string Id, string Status, int Uses, int UsesAllowed, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, IReadOnlyDictionary<string, string> Labels)
{
    public static TokenView From(Token token, DateTimeOffset now) => new(
        Id: token.Id,
        Status: token.Revoked ? "revoked"
            : token.ExpiresAt.ToDateTimeOffset() <= now ? "expired"
            : token.Uses >= token.UsesAllowed ? "used"
            : "valid",
        Uses: token.Uses,
        UsesAllowed: token.UsesAllowed,
        CreatedAt: token.CreatedAt.ToDateTimeOffset(),
        ExpiresAt: token.ExpiresAt.ToDateTimeOffset(),
        Labels: new SortedDictionary<string, string>(token.Labels, StringComparer.Ordinal));
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(Fleet.Ctl.Output.Rfc3339Converter)])]
[JsonSerializable(typeof(List<TokenView>))]
internal sealed partial class TokenJson : JsonSerializerContext;

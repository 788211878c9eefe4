namespace Fleet.Coordinator.Enrollment;

/// <summary>A join token as the store keeps it, without its secret.</summary>
public sealed record JoinTokenRecord(
    string Id,
    IReadOnlyDictionary<string, string> Labels,
    int UsesAllowed,
    int Uses,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt);

/// <summary>Why a token was or was not accepted.</summary>
public enum TokenCheck
{
    Accepted,
    Unknown,
    WrongSecret,
    Expired,
    UsedUp,
    Revoked,
}

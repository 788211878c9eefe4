namespace Fleet.Coordinator.Enrollment;

/// <summary>Join tokens: created and revoked by operators, consumed by enrolling nodes.</summary>
public interface IJoinTokenStore
{
    Task CreateAsync(JoinTokenRecord token, byte[] secretHash, CancellationToken ct);

    Task<IReadOnlyList<JoinTokenRecord>> ListAsync(CancellationToken ct);

    /// <summary>Marks a token revoked; null when there is no such token.</summary>
    Task<JoinTokenRecord?> RevokeAsync(string id, DateTimeOffset at, CancellationToken ct);

    /// <summary>Checks a presented token and, when it is good, counts one use, atomically.</summary>
    Task<TokenCheck> ConsumeAsync(string id, byte[] secretHash, DateTimeOffset at, CancellationToken ct);
}

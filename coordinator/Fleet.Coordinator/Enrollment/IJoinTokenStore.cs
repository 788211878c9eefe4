namespace Fleet.Coordinator.Enrollment;

/// <summary>Join tokens: created and revoked by operators; consumed by enrolling nodes in the enrollment's own transaction (<see cref="IEnrollmentStore.EnrollAsync"/>).</summary>
public interface IJoinTokenStore
{
    Task CreateAsync(JoinTokenRecord token, byte[] secretHash, CancellationToken ct);

    Task<IReadOnlyList<JoinTokenRecord>> ListAsync(CancellationToken ct);

    /// <summary>Marks a token revoked; null when there is no such token.</summary>
    Task<JoinTokenRecord?> RevokeAsync(string id, DateTimeOffset at, CancellationToken ct);
}

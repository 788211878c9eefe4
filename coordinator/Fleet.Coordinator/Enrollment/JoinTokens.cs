using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Security;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fleet.Coordinator.Enrollment;

/// <summary>The operators' side of join tokens: create (the secret is returned once), list, revoke.</summary>
public sealed class JoinTokens(IJoinTokenStore store, CertificateAuthority ca, TimeProvider time, ILogger<JoinTokens> logger)
{
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(30);

    public async Task<CreateTokenResponse> CreateAsync(CreateTokenRequest request, CancellationToken ct)
    {
        var ttl = request.Ttl?.ToTimeSpan() ?? TimeSpan.Zero;
        if (ttl <= TimeSpan.Zero || ttl > MaxTtl)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"ttl: must be positive and at most {MaxTtl.TotalDays:0} days"));
        }

        if (request.Uses < 1)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "uses: must be at least 1"));
        }

        // Validated here, where the labels enter the coordinator: they become every enrolled node's labels.
        if (NodeLabels.Problems(request.Labels, "labels") is { Count: > 0 } labelProblems)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, string.Join("; ", labelProblems)));
        }

        var token = JoinToken.New();
        var now = time.GetUtcNow();
        var record = new JoinTokenRecord(token.Id, new Dictionary<string, string>(request.Labels), request.Uses, 0, now, now + ttl, null);
        await store.CreateAsync(record, token.SecretHash(), ct);
        CoordinatorLog.TokenCreated(logger, token.Id, request.Uses, record.ExpiresAt);
        return new CreateTokenResponse { Token = ToProto(record), SecretToken = token.Reveal(), CaPin = ca.Pin };
    }

    public async Task<ListTokensResponse> ListAsync(CancellationToken ct)
    {
        var response = new ListTokensResponse();
        response.Tokens.AddRange((await store.ListAsync(ct)).Select(ToProto));
        return response;
    }

    public async Task<Token> RevokeAsync(RevokeTokenRequest request, CancellationToken ct)
    {
        if (!JoinToken.IsId(request.Id))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"\"{request.Id}\" is not a token id (12 hex characters, the part before the dot)"));
        }

        var record = await store.RevokeAsync(request.Id, time.GetUtcNow(), ct)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no join token with id {request.Id}"));
        CoordinatorLog.TokenRevoked(logger, record.Id);
        return ToProto(record);
    }

    private static Token ToProto(JoinTokenRecord r)
    {
        var token = new Token
        {
            Id = r.Id,
            CreatedAt = Timestamp.FromDateTimeOffset(r.CreatedAt),
            ExpiresAt = Timestamp.FromDateTimeOffset(r.ExpiresAt),
            UsesAllowed = r.UsesAllowed,
            Uses = r.Uses,
            Revoked = r.RevokedAt is not null,
        };
        foreach (var (key, value) in r.Labels)
        {
            token.Labels[key] = value;
        }

        return token;
    }
}

using System.Security.Cryptography;
using System.Text.Json;
using Fleet.Coordinator.Storage;
using Microsoft.Data.Sqlite;

namespace Fleet.Coordinator.Enrollment;

public sealed class SqliteJoinTokenStore(SqliteDatabase database) : IJoinTokenStore
{
    private const string Columns = "id, labels, uses_allowed, uses, created_at, expires_at, revoked_at";

    public async Task CreateAsync(JoinTokenRecord token, byte[] secretHash, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO join_tokens (id, secret_sha256, labels, uses_allowed, uses, created_at, expires_at)
            VALUES ($id, $hash, $labels, $allowed, 0, $created, $expires)
            """;
        insert.Parameters.AddWithValue("$id", token.Id);
        insert.Parameters.AddWithValue("$hash", secretHash);
        insert.Parameters.AddWithValue("$labels", JsonSerializer.Serialize(token.Labels));
        insert.Parameters.AddWithValue("$allowed", token.UsesAllowed);
        insert.Parameters.AddWithValue("$created", token.CreatedAt.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$expires", token.ExpiresAt.ToUnixTimeMilliseconds());
        await insert.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<JoinTokenRecord>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM join_tokens ORDER BY created_at, id";
        return await ReadAllAsync(query, ct);
    }

    public async Task<JoinTokenRecord?> RevokeAsync(string id, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var update = connection.CreateCommand();
        update.CommandText = $"UPDATE join_tokens SET revoked_at = COALESCE(revoked_at, $at) WHERE id = $id RETURNING {Columns}";
        update.Parameters.AddWithValue("$id", id);
        update.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        return (await ReadAllAsync(update, ct)).SingleOrDefault();
    }

    /// <summary>Checks a presented token inside the caller's write transaction (the enrollment's own), and counts one use when it is good.</summary>
    internal static async Task<TokenCheck> ConsumeAsync(SqliteConnection connection, SqliteTransaction tx, string id, byte[] secretHash, DateTimeOffset at, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.Transaction = tx;
        query.CommandText = "SELECT secret_sha256, uses_allowed, uses, expires_at, revoked_at FROM join_tokens WHERE id = $id";
        query.Parameters.AddWithValue("$id", id);
        TokenCheck check;
        await using (var reader = await query.ExecuteReaderAsync(ct))
        {
            check = !await reader.ReadAsync(ct) ? TokenCheck.Unknown
                : !CryptographicOperations.FixedTimeEquals((byte[])reader.GetValue(0), secretHash) ? TokenCheck.WrongSecret
                : !reader.IsDBNull(4) ? TokenCheck.Revoked
                : reader.GetInt64(3) <= at.ToUnixTimeMilliseconds() ? TokenCheck.Expired
                : reader.GetInt64(2) >= reader.GetInt64(1) ? TokenCheck.UsedUp
                : TokenCheck.Accepted;
        }

        if (check == TokenCheck.Accepted)
        {
            await using var use = connection.CreateCommand();
            use.Transaction = tx;
            use.CommandText = "UPDATE join_tokens SET uses = uses + 1 WHERE id = $id";
            use.Parameters.AddWithValue("$id", id);
            await use.ExecuteNonQueryAsync(ct);
        }

        return check;
    }

    private static async Task<List<JoinTokenRecord>> ReadAllAsync(SqliteCommand query, CancellationToken ct)
    {
        var tokens = new List<JoinTokenRecord>();
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            tokens.Add(new JoinTokenRecord(
                Id: reader.GetString(0),
                Labels: JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(1)) ?? [],
                UsesAllowed: reader.GetInt32(2),
                Uses: reader.GetInt32(3),
                CreatedAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                ExpiresAt: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                RevokedAt: reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6))));
        }

        return tokens;
    }
}

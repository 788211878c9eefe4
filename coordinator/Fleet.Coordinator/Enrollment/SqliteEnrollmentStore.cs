using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Storage;
using Microsoft.Data.Sqlite;

namespace Fleet.Coordinator.Enrollment;

public sealed class SqliteEnrollmentStore(SqliteDatabase database) : IEnrollmentStore
{
    private const string EnrollmentColumns = "node_id, name, approved, token_id, enrolled_at";

    public async Task<TokenCheck> EnrollAsync(string tokenId, byte[] secretHash, string name, DateTimeOffset at, Func<(EnrollmentRecord Enrollment, IssuedCertificate Certificate)> issue, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var check = await SqliteJoinTokenStore.ConsumeAsync(connection, tx, tokenId, secretHash, at, ct);
        if (check != TokenCheck.Accepted)
        {
            return check; // rolled back: nothing was written
        }

        await using (var taken = connection.CreateCommand())
        {
            taken.Transaction = tx;
            taken.CommandText = "SELECT 1 FROM enrollments WHERE name = $name";
            taken.Parameters.AddWithValue("$name", name);
            if (await taken.ExecuteScalarAsync(ct) is not null)
            {
                throw new NodeNameConflictException(name, "(enrolled)"); // rolled back: the token's use is not counted
            }
        }

        var (enrollment, certificate) = issue();
        await InsertEnrollmentAsync(connection, tx, enrollment, ct);
        await InsertCertificateAsync(connection, tx, certificate, ct);
        await tx.CommitAsync(ct);
        return check;
    }

    public async Task AddEnrollmentAsync(EnrollmentRecord enrollment, IssuedCertificate certificate, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await InsertEnrollmentAsync(connection, tx, enrollment, ct);
        await InsertCertificateAsync(connection, tx, certificate, ct);
        await tx.CommitAsync(ct);
    }

    private static async Task InsertEnrollmentAsync(SqliteConnection connection, SqliteTransaction tx, EnrollmentRecord enrollment, CancellationToken ct)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = """
            INSERT INTO enrollments (node_id, name, approved, token_id, enrolled_at)
            VALUES ($id, $name, $approved, $token, $at)
            """;
        insert.Parameters.AddWithValue("$id", enrollment.NodeId);
        insert.Parameters.AddWithValue("$name", enrollment.Name);
        insert.Parameters.AddWithValue("$approved", enrollment.Approved ? 1 : 0);
        insert.Parameters.AddWithValue("$token", enrollment.TokenId);
        insert.Parameters.AddWithValue("$at", enrollment.EnrolledAt.ToUnixTimeMilliseconds());
        try
        {
            await insert.ExecuteNonQueryAsync(ct);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: the name is taken
        {
            throw new NodeNameConflictException(enrollment.Name, "(enrolled)");
        }
    }

    public Task<EnrollmentRecord?> FindEnrollmentAsync(string nodeId, CancellationToken ct) => FindEnrollmentWhereAsync("node_id", nodeId, ct);

    public Task<EnrollmentRecord?> FindEnrollmentByNameAsync(string name, CancellationToken ct) => FindEnrollmentWhereAsync("name", name, ct);

    public async Task<EnrollmentRecord?> ApproveAsync(string name, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var update = connection.CreateCommand();
        update.CommandText = $"UPDATE enrollments SET approved = 1 WHERE name = $name RETURNING {EnrollmentColumns}";
        update.Parameters.AddWithValue("$name", name);
        return await ReadEnrollmentAsync(update, ct);
    }

    public async Task<int?> RemoveAsync(string name, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        string nodeId;
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = tx;
            delete.CommandText = "DELETE FROM enrollments WHERE name = $name RETURNING node_id";
            delete.Parameters.AddWithValue("$name", name);
            if (await delete.ExecuteScalarAsync(ct) is not string id)
            {
                return null;
            }

            nodeId = id;
        }

        int revoked;
        await using (var revoke = connection.CreateCommand())
        {
            revoke.Transaction = tx;
            revoke.CommandText = "UPDATE certificates SET revoked_at = $at WHERE node_id = $id AND revoked_at IS NULL";
            revoke.Parameters.AddWithValue("$id", nodeId);
            revoke.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
            revoked = await revoke.ExecuteNonQueryAsync(ct);
        }

        await using (var forget = connection.CreateCommand())
        {
            forget.Transaction = tx;
            forget.CommandText = "DELETE FROM nodes WHERE id = $id";
            forget.Parameters.AddWithValue("$id", nodeId);
            await forget.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return revoked;
    }

    public async Task<bool> IsCurrentAsync(string nodeId, string name, string serial, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT 1 FROM enrollments e JOIN certificates c ON c.node_id = e.node_id
            WHERE e.node_id = $id AND e.name = $name AND c.serial = $serial AND c.revoked_at IS NULL
            """;
        query.Parameters.AddWithValue("$id", nodeId);
        query.Parameters.AddWithValue("$name", name);
        query.Parameters.AddWithValue("$serial", serial);
        return await query.ExecuteScalarAsync(ct) is not null;
    }

    public async Task AddCertificateAsync(IssuedCertificate certificate, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await InsertCertificateAsync(connection, tx, certificate, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<bool> ReplaceCertificateAsync(string previousSerial, IssuedCertificate renewed, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        async Task<int> RevokeAsync(string where, string? serial)
        {
            await using var revoke = connection.CreateCommand();
            revoke.Transaction = tx;
            revoke.CommandText = $"UPDATE certificates SET revoked_at = $at WHERE kind = $kind AND node_id = $node AND revoked_at IS NULL{where}";
            revoke.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
            revoke.Parameters.AddWithValue("$kind", renewed.Kind);
            revoke.Parameters.AddWithValue("$node", (object?)renewed.NodeId ?? DBNull.Value);
            revoke.Parameters.AddWithValue("$serial", (object?)serial ?? DBNull.Value);
            return await revoke.ExecuteNonQueryAsync(ct);
        }

        if (await RevokeAsync(" AND serial = $serial", previousSerial) != 1)
        {
            return false; // disposing the transaction rolls it back: nothing changed
        }

        await RevokeAsync("", null); // any other still valid (issued before renewals revoked)
        await InsertCertificateAsync(connection, tx, renewed, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<IssuedCertificate?> FindCertificateAsync(string serial, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {CertificateColumns} FROM certificates WHERE serial = $serial";
        query.Parameters.AddWithValue("$serial", serial);
        await using var reader = await query.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadCertificate(reader) : null;
    }

    public async Task<IReadOnlyList<IssuedCertificate>> ListCertificatesAsync(string kind, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {CertificateColumns} FROM certificates WHERE kind = $kind ORDER BY not_before, rowid";
        query.Parameters.AddWithValue("$kind", kind);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var certificates = new List<IssuedCertificate>();
        while (await reader.ReadAsync(ct))
        {
            certificates.Add(ReadCertificate(reader));
        }

        return certificates;
    }

    private const string CertificateColumns = "serial, kind, name, node_id, not_before, not_after, revoked_at, sha256";

    private static IssuedCertificate ReadCertificate(SqliteDataReader reader) => new(
        Serial: reader.GetString(0),
        Kind: reader.GetString(1),
        Name: reader.GetString(2),
        NodeId: reader.IsDBNull(3) ? null : reader.GetString(3),
        NotBefore: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        NotAfter: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
        RevokedAt: reader.IsDBNull(6) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
        Sha256: reader.IsDBNull(7) ? null : reader.GetString(7));

    public async Task<bool> RevokeCertificateAsync(string serial, string kind, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var update = connection.CreateCommand();
        update.CommandText = "UPDATE certificates SET revoked_at = COALESCE(revoked_at, $at) WHERE serial = $serial AND kind = $kind";
        update.Parameters.AddWithValue("$serial", serial);
        update.Parameters.AddWithValue("$kind", kind);
        update.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        return await update.ExecuteNonQueryAsync(ct) == 1;
    }

    private static async Task InsertCertificateAsync(SqliteConnection connection, SqliteTransaction tx, IssuedCertificate c, CancellationToken ct)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = """
            INSERT INTO certificates (serial, kind, name, node_id, not_before, not_after, sha256)
            VALUES ($serial, $kind, $name, $node, $nb, $na, $sha256)
            """;
        insert.Parameters.AddWithValue("$serial", c.Serial);
        insert.Parameters.AddWithValue("$kind", c.Kind);
        insert.Parameters.AddWithValue("$name", c.Name);
        insert.Parameters.AddWithValue("$node", (object?)c.NodeId ?? DBNull.Value);
        insert.Parameters.AddWithValue("$nb", c.NotBefore.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$na", c.NotAfter.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$sha256", (object?)c.Sha256 ?? DBNull.Value);
        await insert.ExecuteNonQueryAsync(ct);
    }

    private async Task<EnrollmentRecord?> FindEnrollmentWhereAsync(string column, string value, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {EnrollmentColumns} FROM enrollments WHERE {column} = $value";
        query.Parameters.AddWithValue("$value", value);
        return await ReadEnrollmentAsync(query, ct);
    }

    private static async Task<EnrollmentRecord?> ReadEnrollmentAsync(SqliteCommand query, CancellationToken ct)
    {
        await using var reader = await query.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new EnrollmentRecord(reader.GetString(0), reader.GetString(1), reader.GetInt64(2) != 0, reader.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)))
            : null;
    }
}

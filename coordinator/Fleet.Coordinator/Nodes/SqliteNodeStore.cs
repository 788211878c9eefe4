using Fleet.Coordinator.Storage;
using Fleet.V1;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Fleet.Coordinator.Nodes;

public sealed class SqliteNodeStore(SqliteDatabase database) : INodeStore
{
    private readonly HeartbeatGroupCommit _heartbeats = new(database);

    private const string Select = "SELECT n.id, n.name, n.facts, n.health, n.first_seen, n.last_seen, COALESCE(e.approved, 1) FROM nodes n LEFT JOIN enrollments e ON e.node_id = n.id";

    public async Task UpsertHelloAsync(string nodeId, string certificateSerial, NodeFacts facts, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct, WriteDurability.Resent);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);

        // In the same transaction as the write: a node removed (or a certificate revoked) after its
        // stream was authenticated never gets its row back, whatever it sends afterwards.
        await using (var enrolled = connection.CreateCommand())
        {
            enrolled.Transaction = tx;
            // With the labels of the join token the node enrolled with: they are the operator's, applied to
            // what the node says at every write, and they win a conflict (NodeLabels.Merge).
            enrolled.CommandText = """
                SELECT COALESCE(t.labels, '{}') FROM enrollments e JOIN certificates c ON c.node_id = e.node_id
                LEFT JOIN join_tokens t ON t.id = e.token_id
                WHERE e.node_id = $id AND e.name = $name AND c.serial = $serial AND c.revoked_at IS NULL
                """;
            enrolled.Parameters.AddWithValue("$id", nodeId);
            enrolled.Parameters.AddWithValue("$name", facts.NodeName);
            enrolled.Parameters.AddWithValue("$serial", certificateSerial);
            if (await enrolled.ExecuteScalarAsync(ct) is not string tokenLabels)
            {
                throw new NodeNotEnrolledException(facts.NodeName);
            }

            // Only valid ones: a token made before labels were validated may hold others.
            var fromToken = (System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(tokenLabels) ?? [])
                .Where(l => NodeLabels.KeyProblem(l.Key) is null && NodeLabels.ValueProblem(l.Key, l.Value) is null)
                .ToList();
            if (fromToken.Count > 0)
            {
                var merged = NodeLabels.Merge(facts.Labels, fromToken);
                facts = facts.Clone();
                facts.Labels.Clear();
                facts.Labels.Add(merged);
            }
        }

        await using (var owner = connection.CreateCommand())
        {
            owner.Transaction = tx;
            owner.CommandText = "SELECT id FROM nodes WHERE name = $name AND id <> $id";
            owner.Parameters.AddWithValue("$name", facts.NodeName);
            owner.Parameters.AddWithValue("$id", nodeId);
            if (await owner.ExecuteScalarAsync(ct) is string existing)
            {
                throw new NodeNameConflictException(facts.NodeName, existing);
            }
        }

        await using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = tx;
            upsert.CommandText = """
                INSERT INTO nodes (id, name, arch, facts, health, first_seen, last_seen)
                VALUES ($id, $name, $arch, $facts, NULL, $at, $at)
                ON CONFLICT (id) DO UPDATE SET name = $name, arch = $arch, facts = $facts, last_seen = $at
                """;
            upsert.Parameters.AddWithValue("$id", nodeId);
            upsert.Parameters.AddWithValue("$name", facts.NodeName);
            upsert.Parameters.AddWithValue("$arch", facts.Arch.ToName());
            upsert.Parameters.AddWithValue("$facts", facts.ToByteArray());
            upsert.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
            await upsert.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    public Task RecordHeartbeatAsync(string nodeId, HealthSample health, DateTimeOffset at, CancellationToken ct) =>
        _heartbeats.RecordAsync(nodeId, health, at, ct);

    public async Task<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.CreateCommand();
        query.CommandText = $"{Select} ORDER BY n.name";
        return await ReadAllAsync(query, ct);
    }

    public async Task<NodeRecord?> FindByNameAsync(string name, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.CreateCommand();
        query.CommandText = $"{Select} WHERE n.name = $name";
        query.Parameters.AddWithValue("$name", name);
        return (await ReadAllAsync(query, ct)).SingleOrDefault();
    }

    private static async Task<List<NodeRecord>> ReadAllAsync(SqliteCommand query, CancellationToken ct)
    {
        var nodes = new List<NodeRecord>();
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            nodes.Add(new NodeRecord(
                Id: reader.GetString(0),
                Name: reader.GetString(1),
                Facts: NodeFacts.Parser.ParseFrom((byte[])reader.GetValue(2)),
                Health: reader.IsDBNull(3) ? null : HealthSample.Parser.ParseFrom((byte[])reader.GetValue(3)),
                FirstSeen: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                LastSeen: DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                Approved: reader.GetInt64(6) != 0));
        }

        return nodes;
    }
}

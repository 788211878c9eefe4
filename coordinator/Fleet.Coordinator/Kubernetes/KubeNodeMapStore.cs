using Fleet.Coordinator.Storage;
using Microsoft.Data.Sqlite;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>
/// The Kubernetes node mappings an operator set (`fleetctl cluster map`), by enrolled node id. Nothing an agent
/// sends reaches this table: it is written by the control API only. A mapping that would give one Kubernetes
/// node two Fleet nodes is refused here, inside the write, naming both.
/// </summary>
public sealed class KubeNodeMapStore(SqliteDatabase database)
{
    /// <summary>Every operator mapping, with the enrolled name of its node.</summary>
    public async Task<IReadOnlyList<OperatorKubeNodeMapping>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT m.node_id, e.name, m.kube_node FROM kube_node_map m JOIN enrollments e ON e.node_id = m.node_id ORDER BY e.name";
        var map = new List<OperatorKubeNodeMapping>();
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            map.Add(new OperatorKubeNodeMapping(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return map;
    }

    /// <summary>Maps the enrolled node <paramref name="fleetNode"/> to <paramref name="kubeNode"/>; throws <see cref="KubeNodeMapException"/>.</summary>
    public async Task SetAsync(string fleetNode, string kubeNode, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var nodeId = await ScalarAsync(connection, tx, "SELECT node_id FROM enrollments WHERE name = $a", fleetNode, null, ct)
            ?? throw new KubeNodeMapException(KubeNodeMapProblem.NoSuchNode, $"no enrolled node named \"{fleetNode}\"");

        // Another node mapped there by an operator, or another node that maps there by its own name (it has no operator mapping).
        var mappedThere = await ScalarAsync(connection, tx, "SELECT e.name FROM kube_node_map m JOIN enrollments e ON e.node_id = m.node_id WHERE m.kube_node = $a AND m.node_id <> $b", kubeNode, nodeId, ct);
        var namedThere = await ScalarAsync(connection, tx, "SELECT name FROM enrollments WHERE name = $a AND node_id <> $b AND node_id NOT IN (SELECT node_id FROM kube_node_map)", kubeNode, nodeId, ct);
        var other = mappedThere ?? namedThere;
        if (other is not null)
        {
            var how = mappedThere is not null ? "mapped there by an operator" : "maps there by its name";
            throw new KubeNodeMapException(
                KubeNodeMapProblem.Duplicate,
                $"cannot map {fleetNode} to Kubernetes node {kubeNode}: Fleet node {other} already {how}; map {other} elsewhere or remove it first (one Kubernetes node, one Fleet node)");
        }

        await using var upsert = connection.CreateCommand();
        upsert.Transaction = tx;
        upsert.CommandText = "INSERT INTO kube_node_map (node_id, kube_node, mapped_at) VALUES ($id, $kube, $at) ON CONFLICT (node_id) DO UPDATE SET kube_node = $kube, mapped_at = $at";
        upsert.Parameters.AddWithValue("$id", nodeId);
        upsert.Parameters.AddWithValue("$kube", kubeNode);
        upsert.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        await upsert.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Forgets the operator mapping of an enrolled node (it maps by its name again); false when it had none; throws when there is no such node.</summary>
    public async Task<bool> ClearAsync(string fleetNode, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var nodeId = await ScalarAsync(connection, tx, "SELECT node_id FROM enrollments WHERE name = $a", fleetNode, null, ct)
            ?? throw new KubeNodeMapException(KubeNodeMapProblem.NoSuchNode, $"no enrolled node named \"{fleetNode}\"");
        await using var delete = connection.CreateCommand();
        delete.Transaction = tx;
        delete.CommandText = "DELETE FROM kube_node_map WHERE node_id = $id";
        delete.Parameters.AddWithValue("$id", nodeId);
        var removed = await delete.ExecuteNonQueryAsync(ct) > 0;
        await tx.CommitAsync(ct);
        return removed;
    }

    private static async Task<string?> ScalarAsync(SqliteConnection connection, SqliteTransaction tx, string sql, string a, string? b, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$a", a);
        if (b is not null)
        {
            command.Parameters.AddWithValue("$b", b);
        }

        return await command.ExecuteScalarAsync(ct) as string;
    }
}

/// <summary>An operator's word that the enrolled node <paramref name="NodeId"/> (named <paramref name="FleetNode"/>) is Kubernetes node <paramref name="KubeNode"/>.</summary>
public sealed record OperatorKubeNodeMapping(string NodeId, string FleetNode, string KubeNode);

public enum KubeNodeMapProblem
{
    NoSuchNode,
    Duplicate,
}

/// <summary>A mapping the store refused, with the message for the operator.</summary>
public sealed class KubeNodeMapException(KubeNodeMapProblem problem, string message) : Exception(message)
{
    public KubeNodeMapProblem Problem { get; } = problem;
}

using Fleet.Coordinator.Storage;
using Fleet.V1;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Fleet.Coordinator.Nodes;

/// <summary>
/// Heartbeats are written in groups: one writer at a time takes every heartbeat that arrived
/// meanwhile (the newest per node) and updates them in one transaction, while the next group
/// gathers. A caller's task completes once its heartbeat is committed, so "recorded" still means
/// stored. With 10,000 agents every 5 s this is ~2,000 updates a second: one transaction each
/// cost a commit and a turn at SQLite's single write lock per heartbeat (BENCHMARKS.md).
/// </summary>
public sealed class HeartbeatGroupCommit(SqliteDatabase database)
{
    private readonly Lock _gate = new();
    private Dictionary<string, (HealthSample Health, DateTimeOffset At)> _gathering = new(StringComparer.Ordinal);
    private TaskCompletionSource _committed = NewGroup();
    private bool _writing;

    /// <summary>Completes when the heartbeat (or a newer one of the same node) is committed.</summary>
    public Task RecordAsync(string nodeId, HealthSample health, DateTimeOffset at, CancellationToken ct)
    {
        Task committed;
        var start = false;
        lock (_gate)
        {
            if (!_gathering.TryGetValue(nodeId, out var existing) || existing.At <= at)
            {
                _gathering[nodeId] = (health, at);
            }

            committed = _committed.Task;
            if (!_writing)
            {
                _writing = start = true;
            }
        }

        if (start)
        {
            _ = Task.Run(WriteGroupsAsync, CancellationToken.None);
        }

        return committed.WaitAsync(ct);
    }

    /// <summary>Writes groups until none is waiting; a failed group fails the callers of that group only.</summary>
    private async Task WriteGroupsAsync()
    {
        while (true)
        {
            Dictionary<string, (HealthSample Health, DateTimeOffset At)> group;
            TaskCompletionSource committed;
            lock (_gate)
            {
                if (_gathering.Count == 0)
                {
                    _writing = false;
                    return;
                }

                (group, _gathering) = (_gathering, new(StringComparer.Ordinal));
                (committed, _committed) = (_committed, NewGroup());
            }

            try
            {
                await WriteAsync(group);
                committed.SetResult();
            }
            catch (Exception ex)
            {
                committed.SetException(ex);
            }
        }
    }

    private async Task WriteAsync(Dictionary<string, (HealthSample Health, DateTimeOffset At)> group)
    {
        await using var connection = await database.OpenWriterAsync(CancellationToken.None, WriteDurability.Resent);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var update = connection.CreateCommand();
        update.Transaction = tx;
        update.CommandText = "UPDATE nodes SET health = $health, last_seen = $at WHERE id = $id";
        var id = update.Parameters.Add("$id", SqliteType.Text);
        var health = update.Parameters.Add("$health", SqliteType.Blob);
        var at = update.Parameters.Add("$at", SqliteType.Integer);
        foreach (var (nodeId, beat) in group)
        {
            id.Value = nodeId;
            health.Value = beat.Health.ToByteArray();
            at.Value = beat.At.ToUnixTimeMilliseconds();
            await update.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
    }

    private static TaskCompletionSource NewGroup() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

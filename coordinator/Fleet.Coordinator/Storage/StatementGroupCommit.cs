using Microsoft.Data.Sqlite;

namespace Fleet.Coordinator.Storage;

/// <summary>
/// Durable single-statement writes committed in groups: one writer at a time takes every statement that
/// arrived meanwhile and runs them, in arrival order, in one synced transaction, while the next group
/// gathers. A caller's task completes once its statement is committed, so "stored" still means synced
/// to disk; what changes is that 200 nodes moving at once share a handful of commits instead of paying
/// one each (BENCHMARKS.md, fleetctl run as a rollout). A caller awaits each of its writes before the
/// next, so its own writes keep their order. When a group fails, each of its statements is tried alone,
/// so one bad statement fails only its own caller.
/// </summary>
public sealed class StatementGroupCommit(SqliteDatabase database)
{
    private sealed record Statement(string Sql, (string Name, object Value)[] Parameters, TaskCompletionSource Done);

    private readonly Lock _gate = new();
    private List<Statement> _gathering = [];
    private bool _writing;

    /// <summary>Completes when the statement is committed; <paramref name="ct"/> ends the wait, not the write once queued.</summary>
    public Task ExecuteAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        ct.ThrowIfCancellationRequested();
        var statement = new Statement(sql, parameters, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var start = false;
        lock (_gate)
        {
            _gathering.Add(statement);
            if (!_writing)
            {
                _writing = start = true;
            }
        }

        if (start)
        {
            _ = Task.Run(WriteGroupsAsync, CancellationToken.None);
        }

        return statement.Done.Task.WaitAsync(ct);
    }

    private async Task WriteGroupsAsync()
    {
        while (true)
        {
            List<Statement> group;
            lock (_gate)
            {
                if (_gathering.Count == 0)
                {
                    _writing = false;
                    return;
                }

                (group, _gathering) = (_gathering, []);
            }

            try
            {
                await CommitAsync(group);
                group.ForEach(s => s.Done.SetResult());
            }
            catch (Exception) when (group.Count > 1)
            {
                foreach (var statement in group)
                {
                    await CommitAloneAsync(statement);
                }
            }
            catch (Exception ex)
            {
                group[0].Done.SetException(ex);
            }
        }
    }

    private async Task CommitAloneAsync(Statement statement)
    {
        try
        {
            await CommitAsync([statement]);
            statement.Done.SetResult();
        }
        catch (Exception ex)
        {
            statement.Done.SetException(ex);
        }
    }

    private async Task CommitAsync(IReadOnlyList<Statement> group)
    {
        await using var connection = await database.OpenWriterAsync(CancellationToken.None);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync();
        foreach (var statement in group)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = statement.Sql;
            foreach (var (name, value) in statement.Parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            await command.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
    }
}

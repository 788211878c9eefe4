using Fleet.Coordinator.Storage;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Storage;

/// <summary>Rollout transitions commit in groups: each caller's write is stored when its task completes, in its order, and one bad statement fails only its caller.</summary>
public sealed class StatementGroupCommitTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private SqliteDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _db = new SqliteDatabase(_dir.Combine("data", "fleet.db"));
        await _db.MigrateAsync(CancellationToken.None);
        await using var connection = await _db.OpenWriterAsync(CancellationToken.None);
        await using var create = connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY, caller INTEGER NOT NULL, n INTEGER NOT NULL)";
        await create.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ManyCallersAtOnce_EachWriteIsStoredWhenItsTaskCompletes_InTheCallersOrder()
    {
        var writes = new StatementGroupCommit(_db);

        await Task.WhenAll(Enumerable.Range(0, 50).Select(caller => Task.Run(async () =>
        {
            for (var n = 0; n < 6; n++)
            {
                await writes.ExecuteAsync("INSERT INTO t (caller, n) VALUES ($caller, $n)", CancellationToken.None, ("$caller", caller), ("$n", n)).DefaultTimeout();
                Assert.Equal(n + 1, await CountAsync($"caller = {caller}")); // committed: a new connection reads it
            }
        })));

        Assert.Equal(300, await CountAsync("1"));
        Assert.Equal(0, await CountAsync("EXISTS (SELECT 1 FROM t u WHERE u.caller = t.caller AND u.n < t.n AND u.id > t.id)")); // no caller's writes out of order
    }

    [Fact]
    public async Task ABadStatement_FailsItsOwnCallerOnly_TheRestOfItsGroupIsStored()
    {
        var writes = new StatementGroupCommit(_db);

        var good = Enumerable.Range(0, 20).Select(i => writes.ExecuteAsync("INSERT INTO t (caller, n) VALUES ($caller, 0)", CancellationToken.None, ("$caller", i))).ToList();
        var bad = writes.ExecuteAsync("INSERT INTO no_such_table (x) VALUES (1)", CancellationToken.None);
        good.AddRange(Enumerable.Range(20, 20).Select(i => writes.ExecuteAsync("INSERT INTO t (caller, n) VALUES ($caller, 0)", CancellationToken.None, ("$caller", i))));

        await Task.WhenAll(good).DefaultTimeout();
        var ex = await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => bad.DefaultTimeout());
        Assert.Contains("no_such_table", ex.Message, StringComparison.Ordinal);
        Assert.Equal(40, await CountAsync("1"));
    }

    private async Task<long> CountAsync(string where)
    {
        await using var connection = await _db.OpenAsync(CancellationToken.None);
        await using var count = connection.CreateCommand();
        count.CommandText = $"SELECT COUNT(*) FROM t WHERE {where}";
        return (long)(await count.ExecuteScalarAsync())!;
    }
}

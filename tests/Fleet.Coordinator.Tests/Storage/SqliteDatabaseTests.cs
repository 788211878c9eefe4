using Fleet.Coordinator.Storage;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Storage;

/// <summary>Issue 12, finding 13: every connection commits durably (WAL with synchronous=FULL), readers and writers alike, except a writer of what a node says again (facts, health).</summary>
public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Connections_AreWalWithSynchronousFull()
    {
        var db = new SqliteDatabase(_dir.Combine("data", "fleet.db"));
        await db.MigrateAsync(CancellationToken.None);

        await using var reader = await db.OpenAsync(CancellationToken.None);
        await using (var writer = await db.OpenWriterAsync(CancellationToken.None))
        {
            Assert.Equal((2L, "wal"), await PragmasAsync(writer));
        }

        Assert.Equal((2L, "wal"), await PragmasAsync(reader)); // 2 = FULL: the WAL is synced at every commit
    }

    [Fact]
    public async Task AWriterOfWhatANodeSaysAgain_IsNormal_AndThePooledConnectionIsFullAgainAfterwards()
    {
        var db = new SqliteDatabase(_dir.Combine("data", "fleet.db"));
        await db.MigrateAsync(CancellationToken.None);

        await using (var resent = await db.OpenWriterAsync(CancellationToken.None, WriteDurability.Resent))
        {
            Assert.Equal((1L, "wal"), await PragmasAsync(resent)); // 1 = NORMAL: synced at checkpoints
        }

        await using var next = await db.OpenWriterAsync(CancellationToken.None);
        Assert.Equal((2L, "wal"), await PragmasAsync(next));
    }

    private static async Task<(long Synchronous, string JournalMode)> PragmasAsync(Microsoft.Data.Sqlite.SqliteConnection connection)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "PRAGMA synchronous";
        var synchronous = (long)(await query.ExecuteScalarAsync())!;
        query.CommandText = "PRAGMA journal_mode";
        return (synchronous, (string)(await query.ExecuteScalarAsync())!);
    }
}

using Fleet.Coordinator.Storage;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Storage;

/// <summary>Issue 12, finding 13: every connection commits durably (WAL with synchronous=FULL), readers and writers alike.</summary>
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

    private static async Task<(long Synchronous, string JournalMode)> PragmasAsync(Microsoft.Data.Sqlite.SqliteConnection connection)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "PRAGMA synchronous";
        var synchronous = (long)(await query.ExecuteScalarAsync())!;
        query.CommandText = "PRAGMA journal_mode";
        return (synchronous, (string)(await query.ExecuteScalarAsync())!);
    }
}

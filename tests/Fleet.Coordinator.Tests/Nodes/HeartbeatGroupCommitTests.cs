using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Storage;
using Fleet.Testing;
using Fleet.V1;
using Microsoft.Data.Sqlite;

namespace Fleet.Coordinator.Tests.Nodes;

/// <summary>Heartbeats written in groups: every caller's heartbeat is stored when its task completes, and failures reach the callers.</summary>
public sealed class HeartbeatGroupCommitTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-25T12:00:00Z");
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<(SqliteDatabase, SqliteNodeStore)> OpenAsync(int nodes)
    {
        var db = new SqliteDatabase(_dir.Combine("data", "fleet.db"));
        await db.MigrateAsync(CancellationToken.None);
        var store = new SqliteNodeStore(db);
        for (var i = 0; i < nodes; i++)
        {
            await StoreSeed.EnrollAsync(db, $"id-{i}", $"node-{i}");
            await store.UpsertHelloAsync($"id-{i}", StoreSeed.Serial($"id-{i}"), new NodeFacts { NodeName = $"node-{i}", Arch = Arch.Amd64, AgentVersion = "0.1.0" }, T0, CancellationToken.None);
        }

        return (db, store);
    }

    private static HealthSample Health(string reason)
    {
        var sample = new HealthSample();
        sample.Checks.Add(new HealthCheck { Name = "memory", Status = HealthStatus.Ok, Reason = reason });
        return sample;
    }

    [Fact]
    public async Task ManyConcurrentHeartbeats_AreAllStoredWhenTheirTasksComplete()
    {
        var (_, store) = await OpenAsync(300);

        await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            Task.Run(() => store.RecordHeartbeatAsync($"id-{i}", Health($"beat {i}"), T0.AddSeconds(i), CancellationToken.None))));

        var nodes = await store.ListAsync(CancellationToken.None);
        Assert.Equal(300, nodes.Count);
        Assert.All(nodes, n =>
        {
            var i = int.Parse(n.Id["id-".Length..]);
            Assert.Equal($"beat {i}", Assert.Single(n.Health!.Checks).Reason);
            Assert.Equal(T0.AddSeconds(i), n.LastSeen);
        });
    }

    [Fact]
    public async Task SuccessiveHeartbeatsOfOneNode_TheLastIsStored()
    {
        var (_, store) = await OpenAsync(1);

        for (var i = 1; i <= 5; i++)
        {
            await store.RecordHeartbeatAsync("id-0", Health($"beat {i}"), T0.AddSeconds(i), CancellationToken.None);
        }

        var node = Assert.Single(await store.ListAsync(CancellationToken.None));
        Assert.Equal("beat 5", Assert.Single(node.Health!.Checks).Reason);
        Assert.Equal(T0.AddSeconds(5), node.LastSeen);
    }

    [Fact]
    public async Task AFailedWrite_FailsItsCallers_AndTheNextGroupIsWrittenAgain()
    {
        var (db, store) = await OpenAsync(1);
        await using (var connection = await db.OpenAsync(CancellationToken.None))
        await using (var rename = connection.CreateCommand())
        {
            rename.CommandText = "ALTER TABLE nodes RENAME TO nodes_away";
            await rename.ExecuteNonQueryAsync();
        }

        var ex = await Assert.ThrowsAsync<SqliteException>(() => store.RecordHeartbeatAsync("id-0", Health("lost"), T0.AddSeconds(1), CancellationToken.None).DefaultTimeout());
        Assert.Contains("no such table: nodes", ex.Message);

        await using (var connection = await db.OpenAsync(CancellationToken.None))
        await using (var back = connection.CreateCommand())
        {
            back.CommandText = "ALTER TABLE nodes_away RENAME TO nodes";
            await back.ExecuteNonQueryAsync();
        }

        await store.RecordHeartbeatAsync("id-0", Health("kept"), T0.AddSeconds(2), CancellationToken.None).DefaultTimeout();
        Assert.Equal("kept", Assert.Single(Assert.Single(await store.ListAsync(CancellationToken.None)).Health!.Checks).Reason);
    }

    [Fact]
    public async Task Writers_TakeTurns_ANewWriterWaitsForTheOpenOne()
    {
        var (db, _) = await OpenAsync(0);
        var first = await db.OpenWriterAsync(CancellationToken.None);

        var second = db.OpenWriterAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(second.IsCompleted);

        await first.DisposeAsync();
        await using var opened = await second.DefaultTimeout();
        Assert.Equal(System.Data.ConnectionState.Open, opened.State);
    }
}

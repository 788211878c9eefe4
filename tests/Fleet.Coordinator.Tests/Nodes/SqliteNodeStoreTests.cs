using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Storage;
using Fleet.Testing;
using Fleet.V1;
using Microsoft.Data.Sqlite;

namespace Fleet.Coordinator.Tests.Nodes;

public sealed class SqliteNodeStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-25T12:00:00Z");
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private SqliteDatabase _db = null!;

    /// <summary>A store whose database has nodes a1 (pi-1) and b2 (x86-1) enrolled, each with one certificate.</summary>
    private async Task<SqliteNodeStore> OpenAsync()
    {
        var fresh = !File.Exists(_dir.Combine("data", "fleet.db"));
        _db = new SqliteDatabase(_dir.Combine("data", "fleet.db"));
        await _db.MigrateAsync(CancellationToken.None);
        if (fresh)
        {
            await StoreSeed.EnrollAsync(_db, "a1", "pi-1");
            await StoreSeed.EnrollAsync(_db, "b2", "x86-1");
        }

        return new SqliteNodeStore(_db);
    }

    private static Task Hello(SqliteNodeStore store, string id, NodeFacts facts, DateTimeOffset at) =>
        store.UpsertHelloAsync(id, StoreSeed.Serial(id), facts, at, CancellationToken.None);

    private static NodeFacts Facts(string name, Arch arch = Arch.Arm64) => new() { NodeName = name, Arch = arch, RawMachine = "aarch64", AgentVersion = "0.1.0", CpuCount = 4 };

    [Fact]
    public async Task UpsertHello_ThenHeartbeat_IsListedWithLatestHealth()
    {
        var store = await OpenAsync();
        await Hello(store, "a1", Facts("pi-1"), T0);
        var health = new HealthSample();
        health.Checks.Add(new HealthCheck { Name = "memory", Status = HealthStatus.Warning, Reason = "8%" });
        await store.RecordHeartbeatAsync("a1", health, T0.AddSeconds(5), CancellationToken.None);

        var node = Assert.Single(await store.ListAsync(CancellationToken.None));
        Assert.Equal(("a1", "pi-1", Arch.Arm64, 4), (node.Id, node.Name, node.Facts.Arch, node.Facts.CpuCount));
        Assert.Equal(T0, node.FirstSeen);
        Assert.Equal(T0.AddSeconds(5), node.LastSeen);
        Assert.Equal("8%", Assert.Single(node.Health!.Checks).Reason);
    }

    [Fact]
    public async Task UpsertHello_Again_ReplacesFactsKeepsFirstSeen()
    {
        var store = await OpenAsync();
        await Hello(store, "a1", Facts("pi-1"), T0);
        var newer = Facts("pi-1");
        newer.KubeletVersion = "v1.29.3";
        await Hello(store, "a1", newer, T0.AddHours(1));

        var node = await store.FindByNameAsync("pi-1", CancellationToken.None);
        Assert.NotNull(node);
        Assert.Equal("v1.29.3", node.Facts.KubeletVersion);
        Assert.Equal(T0, node.FirstSeen);
        Assert.Equal(T0.AddHours(1), node.LastSeen);
    }

    [Fact]
    public async Task UpsertHello_NameOfAnotherEnrolledNode_IsRefusedAndNothingChanges()
    {
        var store = await OpenAsync();
        await Hello(store, "a1", Facts("pi-1"), T0);

        // b2 is enrolled as x86-1: it cannot say Hello as pi-1, whatever its message says.
        var ex = await Assert.ThrowsAsync<NodeNotEnrolledException>(() => Hello(store, "b2", Facts("pi-1", Arch.Amd64), T0));

        Assert.Contains("pi-1", ex.Message);
        var node = Assert.Single(await store.ListAsync(CancellationToken.None));
        Assert.Equal(("a1", Arch.Arm64), (node.Id, node.Facts.Arch));
    }

    [Fact]
    public async Task UpsertHello_AfterTheNodeWasRemoved_DoesNotRecreateItsRow()
    {
        var store = await OpenAsync();
        await Hello(store, "a1", Facts("pi-1"), T0);
        Assert.Equal(1, await new Fleet.Coordinator.Enrollment.SqliteEnrollmentStore(_db).RemoveAsync("pi-1", T0, CancellationToken.None));

        await Assert.ThrowsAsync<NodeNotEnrolledException>(() => Hello(store, "a1", Facts("pi-1"), T0.AddSeconds(1)));

        Assert.Empty(await store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task UpsertHello_WithARevokedOrUnknownCertificate_IsRefused()
    {
        var store = await OpenAsync();
        Assert.True(await new Fleet.Coordinator.Enrollment.SqliteEnrollmentStore(_db).RevokeCertificateAsync(StoreSeed.Serial("a1"), Fleet.Coordinator.Security.ClientSubject.NodeKind, T0, CancellationToken.None));

        await Assert.ThrowsAsync<NodeNotEnrolledException>(() => Hello(store, "a1", Facts("pi-1"), T0));
        await Assert.ThrowsAsync<NodeNotEnrolledException>(() => store.UpsertHelloAsync("b2", StoreSeed.Serial("a1"), Facts("x86-1"), T0, CancellationToken.None));
        await Assert.ThrowsAsync<NodeNotEnrolledException>(() => store.UpsertHelloAsync("b2", "ffff", Facts("x86-1"), T0, CancellationToken.None));

        Assert.Empty(await store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Nodes_SurviveReopeningTheFile()
    {
        var store = await OpenAsync();
        await Hello(store, "a1", Facts("pi-1"), T0);
        await Hello(store, "b2", Facts("x86-1", Arch.Amd64), T0);
        SqliteConnection.ClearAllPools();

        var reopened = await OpenAsync(); // migrations run again and change nothing
        var names = (await reopened.ListAsync(CancellationToken.None)).Select(n => n.Name);

        Assert.Equal(["pi-1", "x86-1"], names);
        Assert.Null(await reopened.FindByNameAsync("nope", CancellationToken.None));
    }

    [Fact]
    public async Task Migrate_RefusesADatabaseFromANewerCoordinator()
    {
        await OpenAsync();
        var db = new SqliteDatabase(_dir.Combine("data", "fleet.db"));
        await using (var connection = await db.OpenAsync(CancellationToken.None))
        {
            await using var bump = connection.CreateCommand();
            bump.CommandText = "INSERT INTO schema_version (version) VALUES (999)";
            await bump.ExecuteNonQueryAsync();
        }

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => db.MigrateAsync(CancellationToken.None));
        Assert.Contains("schema version 999", ex.Message);
    }
}

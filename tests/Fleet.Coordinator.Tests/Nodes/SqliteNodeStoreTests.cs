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

    private async Task<SqliteNodeStore> OpenAsync()
    {
        var db = new SqliteDatabase(_dir.Combine("data", "fleet.db"));
        await db.MigrateAsync(CancellationToken.None);
        return new SqliteNodeStore(db);
    }

    private static NodeFacts Facts(string name, Arch arch = Arch.Arm64) => new() { NodeName = name, Arch = arch, RawMachine = "aarch64", AgentVersion = "0.1.0", CpuCount = 4 };

    [Fact]
    public async Task UpsertHello_ThenHeartbeat_IsListedWithLatestHealth()
    {
        var store = await OpenAsync();
        await store.UpsertHelloAsync("a1", Facts("pi-1"), T0, CancellationToken.None);
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
        await store.UpsertHelloAsync("a1", Facts("pi-1"), T0, CancellationToken.None);
        var newer = Facts("pi-1");
        newer.KubeletVersion = "v1.29.3";
        await store.UpsertHelloAsync("a1", newer, T0.AddHours(1), CancellationToken.None);

        var node = await store.FindByNameAsync("pi-1", CancellationToken.None);
        Assert.NotNull(node);
        Assert.Equal("v1.29.3", node.Facts.KubeletVersion);
        Assert.Equal(T0, node.FirstSeen);
        Assert.Equal(T0.AddHours(1), node.LastSeen);
    }

    [Fact]
    public async Task UpsertHello_NameHeldByAnotherNode_IsRefusedAndNothingChanges()
    {
        var store = await OpenAsync();
        await store.UpsertHelloAsync("a1", Facts("pi-1"), T0, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<NodeNameConflictException>(() => store.UpsertHelloAsync("b2", Facts("pi-1", Arch.Amd64), T0, CancellationToken.None));

        Assert.Contains("pi-1", ex.Message);
        Assert.Contains("a1", ex.Message);
        var node = Assert.Single(await store.ListAsync(CancellationToken.None));
        Assert.Equal(("a1", Arch.Arm64), (node.Id, node.Facts.Arch));
    }

    [Fact]
    public async Task Nodes_SurviveReopeningTheFile()
    {
        var store = await OpenAsync();
        await store.UpsertHelloAsync("a1", Facts("pi-1"), T0, CancellationToken.None);
        await store.UpsertHelloAsync("b2", Facts("x86-1", Arch.Amd64), T0, CancellationToken.None);
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

using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Security;
using Fleet.Coordinator.Storage;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Enrollment;

/// <summary>The store lists the certificates of one kind with what was recorded when each was issued (admin-cert list).</summary>
public sealed class CertificateListTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ListCertificates_IsOneKindOnly_OldestFirst_WithFingerprintAndRevocation()
    {
        var (_, store) = await OpenAsync();
        await store.AddCertificateAsync(new IssuedCertificate("0b", ClientSubject.AdminKind, "bob", null, T0.AddHours(1), T0.AddDays(365), null, "sha256:" + new string('b', 64)), default);
        await store.AddCertificateAsync(new IssuedCertificate("0a", ClientSubject.AdminKind, "alice", null, T0, T0.AddDays(365), null, "sha256:" + new string('a', 64)), default);
        await store.AddCertificateAsync(new IssuedCertificate("0c", ClientSubject.NodeKind, "pi-1", "node-1", T0, T0.AddDays(30), null, "sha256:" + new string('c', 64)), default);
        Assert.True(await store.RevokeCertificateAsync("0b", ClientSubject.AdminKind, T0.AddHours(2), default));

        var admins = await store.ListCertificatesAsync(ClientSubject.AdminKind, default).DefaultTimeout();

        Assert.Equal(["alice", "bob"], admins.Select(c => c.Name));
        Assert.Equal([null, T0.AddHours(2)], admins.Select(c => c.RevokedAt));
        Assert.Equal("sha256:" + new string('a', 64), admins[0].Sha256);
    }

    [Fact]
    public async Task ACertificateRecordedBeforeFingerprints_ListsWithoutOne_RatherThanFailing()
    {
        var (db, store) = await OpenAsync();
        await using (var connection = await db.OpenWriterAsync(default))
        {
            await using var insert = connection.CreateCommand();
            // A row as the coordinator wrote it before the sha256 column existed.
            insert.CommandText = $"INSERT INTO certificates (serial, kind, name, node_id, not_before, not_after) VALUES ('0d', '{ClientSubject.AdminKind}', 'carol', NULL, 0, 1)";
            await insert.ExecuteNonQueryAsync();
        }

        var listed = Assert.Single(await store.ListCertificatesAsync(ClientSubject.AdminKind, default).DefaultTimeout());

        Assert.Equal(("carol", null), (listed.Name, listed.Sha256));
    }

    private async Task<(SqliteDatabase Db, SqliteEnrollmentStore Store)> OpenAsync()
    {
        var db = new SqliteDatabase(_dir.Combine("data", "fleet.db"));
        await db.MigrateAsync(CancellationToken.None).DefaultTimeout();
        return (db, new SqliteEnrollmentStore(db));
    }
}

using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Security;
using Fleet.Coordinator.Storage;

namespace Fleet.Coordinator.Tests.Nodes;

/// <summary>Enrollments written straight to the store, for store tests: a node's Hello is stored only while it is enrolled.</summary>
internal static class StoreSeed
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-25T12:00:00Z");

    /// <summary>Enrolls node <paramref name="id"/> as <paramref name="name"/> with one certificate, serial <see cref="Serial"/>(id).</summary>
    public static Task EnrollAsync(SqliteDatabase db, string id, string name) =>
        new SqliteEnrollmentStore(db).AddEnrollmentAsync(
            new EnrollmentRecord(id, name, Approved: true, TokenId: "token", EnrolledAt: T0),
            new IssuedCertificate(Serial(id), ClientSubject.NodeKind, name, id, T0, T0.AddDays(30), null),
            CancellationToken.None);

    public static string Serial(string id) => $"5e{id}";
}

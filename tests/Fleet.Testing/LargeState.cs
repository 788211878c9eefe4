using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Security;
using Fleet.Coordinator.Storage;
using Fleet.V1;
using Microsoft.Data.Sqlite;

namespace Fleet.Testing;

/// <summary>State larger than one gRPC message (4 MiB), written straight to a test coordinator's store.</summary>
public static class LargeState
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-25T12:00:00Z");

    /// <summary>Enrolls nodes node-00, node-01, ... and stores a Hello of about 60 KiB of facts for each.</summary>
    public static async Task SeedNodesAsync(TestCoordinator coordinator, int count)
    {
        var enrollments = coordinator.Service<IEnrollmentStore>();
        var store = coordinator.Service<INodeStore>();
        for (var i = 0; i < count; i++)
        {
            var (id, name, serial) = ($"id{i:00}", $"node-{i:00}", $"5e{i:00}");
            await enrollments.AddEnrollmentAsync(new EnrollmentRecord(id, name, true, "token", T0), new IssuedCertificate(serial, ClientSubject.NodeKind, name, id, T0, T0.AddDays(30), null), CancellationToken.None);
            var facts = new NodeFacts { NodeName = name, Arch = Arch.Arm64, RawMachine = "aarch64", AgentVersion = "0.1.0" };
            for (var l = 0; l < 60; l++)
            {
                facts.Labels[$"k{l}"] = new string((char)('a' + (l % 26)), 1000);
            }

            await store.UpsertHelloAsync(id, serial, facts, T0, CancellationToken.None);
        }
    }

    /// <summary>A finished rollout <paramref name="id"/> whose log has <paramref name="count"/> lines of 1,000 characters, each starting with its 4-digit number.</summary>
    public static async Task SeedRolloutLogAsync(TestCoordinator coordinator, string id, int count)
    {
        await using var connection = await coordinator.Service<SqliteDatabase>().OpenWriterAsync(CancellationToken.None);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = """
            INSERT INTO rollouts (id, seq, nonce, name, recipe, plan_yaml, state, reason, batches, created_at, updated_at, finished_at)
            VALUES ($id, 1, 'n', 'big', 'install-cni', 'x', 'succeeded', '', '[]', 0, 0, 0)
            """;
        insert.Parameters.AddWithValue("$id", id);
        await insert.ExecuteNonQueryAsync();
        insert.CommandText = "INSERT INTO rollout_log (rollout_id, at, node, level, message) VALUES ($id, 0, 'pi-1', 'info', $m)";
        var message = insert.Parameters.Add("$m", SqliteType.Text);
        for (var i = 0; i < count; i++)
        {
            message.Value = $"{i:0000} " + new string('l', 995);
            await insert.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
    }
}

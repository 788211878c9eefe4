using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Security;
using Fleet.Coordinator.Storage;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf;

namespace Fleet.Coordinator.Tests.Control;

/// <summary>
/// Issue 12, finding 3: ListNodes and GetRolloutLogs stream one item a message, so neither breaks
/// when the whole answer is larger than the 4 MiB message limit (a single reply used to).
/// </summary>
public sealed class LargeListingTests : CoordinatorTest
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-25T12:00:00Z");

    [Fact]
    public async Task ListNodes_MoreThan4MiBOfNodes_AreAllListedInOrder()
    {
        const int count = 80; // 80 nodes of ~60 KiB of facts: ~4.7 MiB in all
        var enrollments = Coordinator.Service<IEnrollmentStore>();
        var store = Coordinator.Service<INodeStore>();
        for (var i = 0; i < count; i++)
        {
            var (id, name) = ($"id{i:00}", $"node-{i:00}");
            await enrollments.AddEnrollmentAsync(new EnrollmentRecord(id, name, true, "token", T0), new IssuedCertificate($"5e{i:00}", ClientSubject.NodeKind, name, id, T0, T0.AddDays(30), null), CancellationToken.None);
            var facts = new NodeFacts { NodeName = name, Arch = Arch.Arm64, AgentVersion = "0.1.0" };
            for (var l = 0; l < 60; l++)
            {
                facts.Labels[$"k{l}"] = new string((char)('a' + (l % 26)), 1000);
            }

            await store.UpsertHelloAsync(id, $"5e{i:00}", facts, T0, CancellationToken.None);
        }

        using var channel = Coordinator.ControlChannel();
        var nodes = await new ControlService.ControlServiceClient(channel).ListAllNodesAsync();

        Assert.True(nodes.Sum(n => n.CalculateSize()) > CoordinatorApp.MaxMessageSize);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"node-{i:00}"), nodes.Select(n => n.Name));
    }

    [Fact]
    public async Task GetRolloutLogs_MoreThan4MiBOfLines_AreAllReturnedInOrder()
    {
        const int count = 5000; // 5,000 lines of 1,000 characters: ~5 MiB
        await using (var connection = await Coordinator.Service<SqliteDatabase>().OpenWriterAsync(CancellationToken.None))
        {
            await using var tx = (Microsoft.Data.Sqlite.SqliteTransaction)await connection.BeginTransactionAsync();
            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = """
                INSERT INTO rollouts (id, seq, nonce, name, recipe, plan_yaml, state, reason, batches, created_at, updated_at, finished_at)
                VALUES ('r1', 1, 'n', 'big', 'install-cni', 'x', 'succeeded', '', '[]', 0, 0, 0)
                """;
            await insert.ExecuteNonQueryAsync();
            insert.CommandText = "INSERT INTO rollout_log (rollout_id, at, node, level, message) VALUES ('r1', 0, 'pi-1', 'info', $m)";
            var message = insert.Parameters.Add("$m", Microsoft.Data.Sqlite.SqliteType.Text);
            for (var i = 0; i < count; i++)
            {
                message.Value = $"{i:0000} " + new string('l', 995);
                await insert.ExecuteNonQueryAsync();
            }

            await tx.CommitAsync();
        }

        using var channel = Coordinator.ControlChannel();
        var lines = await new ControlService.ControlServiceClient(channel).GetAllRolloutLogsAsync(new RolloutLogsRequest { Id = "r1" });

        Assert.True(lines.Sum(l => l.CalculateSize()) > CoordinatorApp.MaxMessageSize);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"{i:0000}"), lines.Select(l => l.Message[..4]));
    }
}

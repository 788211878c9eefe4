using System.Text.Json;
using Fleet.Coordinator.Storage;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Data.Sqlite;

namespace Fleet.Coordinator.Rollouts;

/// <summary>A rollout as stored: its view (states, reasons) plus what the engine needs to resume it.</summary>
public sealed class StoredRollout
{
    public required Rollout View { get; init; }

    public required string Nonce { get; init; }

    public required IReadOnlyList<Batch> Batches { get; init; }

    /// <summary>By node name.</summary>
    public required IReadOnlyDictionary<string, StoredNode> Nodes { get; init; }
}

public sealed record StoredNode(string NodeId, string KubeNode, IReadOnlyList<NodeStep> Steps);

/// <summary>Rollouts in SQLite. Every transition is one small write (in the writers' turn), committed before the engine goes on.</summary>
public sealed class SqliteRolloutStore(SqliteDatabase database) : IRolloutStore
{
    private static readonly RolloutState[] Active = [RolloutState.Running, RolloutState.Paused, RolloutState.Aborting];

    private readonly StatementGroupCommit _transitions = new(database);

    public async Task<string> CreateAsync(PreparedRollout prepared, string nonce, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await database.OpenWriterAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        long seq;
        await using (var next = Command(connection, tx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM rollouts"))
        {
            seq = (long)(await next.ExecuteScalarAsync(ct))!;
        }

        var id = $"r{seq}";
        await using (var insert = Command(connection, tx, """
            INSERT INTO rollouts (id, seq, nonce, name, recipe, plan_yaml, state, reason, batches, created_at, updated_at, skipped_disconnected)
            VALUES ($id, $seq, $nonce, $name, $recipe, $yaml, $state, '', $batches, $now, $now, $skipped)
            """))
        {
            insert.Parameters.AddWithValue("$id", id);
            insert.Parameters.AddWithValue("$seq", seq);
            insert.Parameters.AddWithValue("$nonce", nonce);
            insert.Parameters.AddWithValue("$name", prepared.Plan.Name);
            insert.Parameters.AddWithValue("$recipe", prepared.Plan.Recipe.Describe());
            insert.Parameters.AddWithValue("$yaml", prepared.Plan.Yaml);
            insert.Parameters.AddWithValue("$state", RolloutState.Running.ToName());
            insert.Parameters.AddWithValue("$batches", JsonSerializer.Serialize(prepared.Batches));
            insert.Parameters.AddWithValue("$skipped", JsonSerializer.Serialize(prepared.SkippedDisconnected));
            insert.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            await insert.ExecuteNonQueryAsync(ct);
        }

        var batchOf = Batches.FirstOf(prepared.Batches);
        foreach (var node in prepared.Nodes)
        {
            await using (var insert = Command(connection, tx, """
                INSERT INTO rollout_nodes (rollout_id, name, node_id, arch, kube_node, batch, state, error, cordoned, from_version, to_version)
                VALUES ($id, $name, $node_id, $arch, $kube, $batch, $state, '', 0, $from, $to)
                """))
            {
                insert.Parameters.AddWithValue("$id", id);
                insert.Parameters.AddWithValue("$name", node.Node.Name);
                insert.Parameters.AddWithValue("$node_id", node.Node.Id);
                insert.Parameters.AddWithValue("$arch", node.Node.Facts.Arch.ToName());
                insert.Parameters.AddWithValue("$kube", node.KubeNode);
                insert.Parameters.AddWithValue("$batch", batchOf[node.Node.Name]);
                insert.Parameters.AddWithValue("$state", RolloutNodeState.Pending.ToName());
                insert.Parameters.AddWithValue("$from", node.FromVersion);
                insert.Parameters.AddWithValue("$to", node.ToVersion);
                await insert.ExecuteNonQueryAsync(ct);
            }

            for (var i = 0; i < node.Steps.Count; i++)
            {
                await using var step = Command(connection, tx, """
                    INSERT INTO rollout_steps (rollout_id, node, idx, spec, state, reason, attempt) VALUES ($id, $node, $idx, $spec, $state, '', 0)
                    """);
                step.Parameters.AddWithValue("$id", id);
                step.Parameters.AddWithValue("$node", node.Node.Name);
                step.Parameters.AddWithValue("$idx", i);
                step.Parameters.AddWithValue("$spec", JsonSerializer.Serialize(node.Steps[i]));
                step.Parameters.AddWithValue("$state", RolloutStepState.Pending.ToName());
                await step.ExecuteNonQueryAsync(ct);
            }
        }

        await tx.CommitAsync(ct);
        return id;
    }

    public Task SetRolloutAsync(string id, RolloutState state, string reason, DateTimeOffset now, CancellationToken ct) =>
        ExecuteAsync(
            "UPDATE rollouts SET state = $state, reason = $reason, updated_at = $now, finished_at = CASE WHEN $finished THEN $now ELSE NULL END WHERE id = $id",
            ct,
            ("$id", id),
            ("$state", state.ToName()),
            ("$reason", reason),
            ("$now", now.ToUnixTimeMilliseconds()),
            ("$finished", state.IsFinished()));

    public Task SetNodeAsync(string id, string node, RolloutNodeState state, string failure, bool cordoned, CancellationToken ct) =>
        ExecuteAsync(
            "UPDATE rollout_nodes SET state = $state, error = $error, cordoned = $cordoned WHERE rollout_id = $id AND name = $node",
            ct,
            ("$id", id),
            ("$node", node),
            ("$state", state.ToName()),
            ("$error", failure),
            ("$cordoned", cordoned));

    public Task SetStepAsync(string id, string node, int index, RolloutStepState state, string reason, CancellationToken ct) =>
        ExecuteAsync(
            "UPDATE rollout_steps SET state = $state, reason = $reason WHERE rollout_id = $id AND node = $node AND idx = $idx",
            ct,
            ("$id", id),
            ("$node", node),
            ("$idx", index),
            ("$state", state.ToName()),
            ("$reason", reason));

    /// <summary>A failed step to run again (on resume): pending, under a new step id, so the agent runs it
    /// rather than answering the old failure from its journal.</summary>
    public Task RetryStepAsync(string id, string node, int index, CancellationToken ct) =>
        ExecuteAsync(
            "UPDATE rollout_steps SET state = $state, reason = '', attempt = attempt + 1 WHERE rollout_id = $id AND node = $node AND idx = $idx",
            ct,
            ("$id", id),
            ("$node", node),
            ("$idx", index),
            ("$state", RolloutStepState.Pending.ToName()));

    public Task AppendLogAsync(string id, RolloutLogLine line, CancellationToken ct) =>
        ExecuteAsync(
            "INSERT INTO rollout_log (rollout_id, at, node, level, message) VALUES ($id, $at, $node, $level, $message)",
            ct,
            ("$id", id),
            ("$at", line.At.ToDateTimeOffset().ToUnixTimeMilliseconds()),
            ("$node", line.Node),
            ("$level", line.Level),
            ("$message", line.Message));

    /// <summary>The rollout's log lines in order, read as they are consumed (a rollout's log can be far larger than one message).</summary>
    public async IAsyncEnumerable<RolloutLogLine> LogsAsync(string id, string? node, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = Command(connection, null, "SELECT at, node, level, message FROM rollout_log WHERE rollout_id = $id AND ($node IS NULL OR node = $node) ORDER BY id");
        query.Parameters.AddWithValue("$id", id);
        query.Parameters.AddWithValue("$node", (object?)node ?? DBNull.Value);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return new RolloutLogLine { At = Time(reader.GetInt64(0)), Node = reader.GetString(1), Level = reader.GetString(2), Message = reader.GetString(3) };
        }
    }

    /// <summary>
    /// The log lines written after the line <paramref name="afterSeq"/> (0: from the first), in order,
    /// each with its sequence number: a cursor that a follower keeps, so it reads every line once.
    /// </summary>
    public async IAsyncEnumerable<(long Seq, RolloutLogLine Line)> LogsAfterAsync(string id, string? node, long afterSeq, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = Command(connection, null, "SELECT id, at, node, level, message FROM rollout_log WHERE rollout_id = $id AND ($node IS NULL OR node = $node) AND id > $after ORDER BY id");
        query.Parameters.AddWithValue("$id", id);
        query.Parameters.AddWithValue("$node", (object?)node ?? DBNull.Value);
        query.Parameters.AddWithValue("$after", afterSeq);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return (reader.GetInt64(0), new RolloutLogLine { At = Time(reader.GetInt64(1)), Node = reader.GetString(2), Level = reader.GetString(3), Message = reader.GetString(4) });
        }
    }

    /// <summary>Rollouts newest first, without node details.</summary>
    public async Task<List<Rollout>> ListAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = Command(connection, null, $"SELECT {RolloutColumns} FROM rollouts ORDER BY seq DESC");
        await using var reader = await query.ExecuteReaderAsync(ct);
        var list = new List<Rollout>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(ReadRollout(reader).View);
        }

        return list;
    }

    /// <summary>Ids of the rollouts not finished yet (running, paused, aborting).</summary>
    public async Task<List<string>> ActiveIdsAsync(CancellationToken ct)
    {
        var states = string.Join(", ", Active.Select(s => $"'{s.ToName()}'"));
        await using var connection = await database.OpenAsync(ct);
        await using var query = Command(connection, null, $"SELECT id FROM rollouts WHERE state IN ({states}) ORDER BY seq");
        await using var reader = await query.ExecuteReaderAsync(ct);
        var ids = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Node name → the unfinished rollout that holds it.</summary>
    public async Task<Dictionary<string, string>> HoldsAsync(CancellationToken ct)
    {
        var states = string.Join(", ", Active.Select(s => $"'{s.ToName()}'"));
        await using var connection = await database.OpenAsync(ct);
        await using var query = Command(connection, null, $"SELECT n.name, r.id FROM rollout_nodes n JOIN rollouts r ON r.id = n.rollout_id WHERE r.state IN ({states})");
        await using var reader = await query.ExecuteReaderAsync(ct);
        var holds = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            holds[reader.GetString(0)] = reader.GetString(1);
        }

        return holds;
    }

    public async Task<StoredRollout?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        StoredRollout rollout;
        await using (var query = Command(connection, null, $"SELECT {RolloutColumns} FROM rollouts WHERE id = $id"))
        {
            query.Parameters.AddWithValue("$id", id);
            await using var reader = await query.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            rollout = ReadRollout(reader);
        }

        var steps = new Dictionary<string, List<(NodeStep Spec, RolloutStepState State, string Reason, int Attempt)>>(StringComparer.Ordinal);
        await using (var query = Command(connection, null, "SELECT node, spec, state, reason, attempt FROM rollout_steps WHERE rollout_id = $id ORDER BY node, idx"))
        {
            query.Parameters.AddWithValue("$id", id);
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var list = steps.TryGetValue(reader.GetString(0), out var l) ? l : steps[reader.GetString(0)] = [];
                list.Add((JsonSerializer.Deserialize<NodeStep>(reader.GetString(1))!, RolloutNames.ParseStepState(reader.GetString(2)), reader.GetString(3), reader.GetInt32(4)));
            }
        }

        var nodes = new Dictionary<string, StoredNode>(StringComparer.Ordinal);
        await using (var query = Command(connection, null, "SELECT name, node_id, arch, kube_node, batch, state, error, cordoned, from_version, to_version FROM rollout_nodes WHERE rollout_id = $id ORDER BY batch, name"))
        {
            query.Parameters.AddWithValue("$id", id);
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(0);
                var nodeSteps = steps.GetValueOrDefault(name) ?? [];
                var arch = ArchNames.TryParse(reader.GetString(2), out var a) ? a : Arch.Unspecified;
                var view = new RolloutNode
                {
                    Name = name,
                    Arch = arch,
                    Batch = reader.GetInt32(4),
                    State = RolloutNames.ParseNodeState(reader.GetString(5)),
                    Error = reader.GetString(6),
                    CordonedByFleet = reader.GetInt64(7) != 0,
                    FromVersion = reader.GetString(8),
                    ToVersion = reader.GetString(9) is { Length: > 0 } to ? to : RolloutVersions.OfSteps(nodeSteps.Select(s => s.Spec)), // a row stored before to_version
                };
                for (var i = 0; i < nodeSteps.Count; i++)
                {
                    var (spec, state, reason, attempt) = nodeSteps[i];
                    view.Steps.Add(new RolloutStep
                    {
                        Index = i,
                        Kind = spec.Kind,
                        Description = spec.Description,
                        Url = spec.ArtifactUrl,
                        Sha256 = spec.ArtifactSha256,
                        State = state,
                        Reason = reason,
                        StepId = spec.RunsOnAgent ? StepIds.For(id, rollout.Nonce, name, i, attempt) : "",
                        Phase = spec.Phase,
                        OnFailure = spec.OnFailure,
                    });
                }

                rollout.View.Nodes.Add(view);
                nodes[name] = new StoredNode(reader.GetString(1), reader.GetString(3), nodeSteps.Select(s => s.Spec).ToList());
            }
        }

        return new StoredRollout { View = rollout.View, Nonce = rollout.Nonce, Batches = rollout.Batches, Nodes = nodes };
    }

    private const string RolloutColumns = "id, nonce, name, recipe, plan_yaml, state, reason, batches, created_at, updated_at, finished_at, skipped_disconnected";

    private static StoredRollout ReadRollout(SqliteDataReader reader)
    {
        var batches = JsonSerializer.Deserialize<List<Batch>>(reader.GetString(7))!;
        var view = new Rollout
        {
            Id = reader.GetString(0),
            Name = reader.GetString(2),
            Recipe = reader.GetString(3),
            PlanYaml = reader.GetString(4),
            State = RolloutNames.ParseRolloutState(reader.GetString(5)),
            Reason = reader.GetString(6),
            BatchCount = batches.Count,
            CreatedAt = Time(reader.GetInt64(8)),
            UpdatedAt = Time(reader.GetInt64(9)),
            FinishedAt = reader.IsDBNull(10) ? null : Time(reader.GetInt64(10)),
        };
        view.SkippedDisconnected.AddRange(JsonSerializer.Deserialize<List<string>>(reader.GetString(11))!);
        RolloutPhases.Fill(view, batches);
        return new StoredRollout { View = view, Nonce = reader.GetString(1), Batches = batches, Nodes = new Dictionary<string, StoredNode>() };
    }

    private static Timestamp Time(long ms) => Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(ms));

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    /// <summary>A transition: committed (synced) with whatever other transitions arrive at the same time, before the task completes.</summary>
    private Task ExecuteAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters) =>
        _transitions.ExecuteAsync(sql, ct, parameters);
}

/// <summary>Step ids: unique per rollout, node and step, stable across coordinator restarts, so an agent answers a
/// re-sent step from its journal instead of running it twice.</summary>
public static class StepIds
{
    public static string For(string rolloutId, string nonce, string node, int index, int attempt) =>
        attempt == 0 ? $"{rolloutId}-{nonce}-{node}-{index}" : $"{rolloutId}-{nonce}-{node}-{index}-retry{attempt}";

    /// <summary>The id of the next attempt, matching what <see cref="For"/> gives after <see cref="IRolloutStore.RetryStepAsync"/>.</summary>
    public static string Retry(string stepId)
    {
        var m = System.Text.RegularExpressions.Regex.Match(stepId, "-retry([0-9]+)$");
        return m.Success
            ? $"{stepId[..m.Index]}-retry{int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1}"
            : $"{stepId}-retry1";
    }
}

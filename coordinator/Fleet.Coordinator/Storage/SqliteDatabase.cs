using Microsoft.Data.Sqlite;

namespace Fleet.Coordinator.Storage;

/// <summary>
/// The coordinator's SQLite file: opens pooled connections and brings the schema up to date at start.
/// Each migration runs once, in order, inside a transaction, and records itself in schema_version.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The write gate's SemaphoreSlim never creates a wait handle (only WaitAsync is used), so there is nothing to dispose; the database lives as long as the coordinator.")]
public sealed class SqliteDatabase
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE nodes (
            id          TEXT PRIMARY KEY,      -- from the connection's identity, never from a message
            name        TEXT NOT NULL UNIQUE,
            arch        TEXT NOT NULL,         -- amd64 | arm64 | arm
            facts       BLOB NOT NULL,         -- fleet.v1.NodeFacts
            health      BLOB,                  -- fleet.v1.HealthSample, the latest
            first_seen  INTEGER NOT NULL,      -- unix milliseconds
            last_seen   INTEGER NOT NULL
        );
        """,
        """
        CREATE TABLE catalogs (
            version     INTEGER PRIMARY KEY AUTOINCREMENT,  -- the newest row is the current catalog
            yaml        TEXT NOT NULL,                      -- exactly as applied
            applied_at  INTEGER NOT NULL                    -- unix milliseconds
        );
        """,
        """
        -- Join tokens: the secret is kept only as its SHA-256 (it is 192 random bits, so no slow hash is needed).
        CREATE TABLE join_tokens (
            id             TEXT PRIMARY KEY,
            secret_sha256  BLOB NOT NULL,
            labels         TEXT NOT NULL,     -- JSON object
            uses_allowed   INTEGER NOT NULL,
            uses           INTEGER NOT NULL DEFAULT 0,
            created_at     INTEGER NOT NULL,  -- unix milliseconds
            expires_at     INTEGER NOT NULL,
            revoked_at     INTEGER
        );
        -- Enrolled nodes: the name and id their certificates carry, and whether an operator approved them.
        CREATE TABLE enrollments (
            node_id      TEXT PRIMARY KEY,
            name         TEXT NOT NULL UNIQUE,
            approved     INTEGER NOT NULL,
            token_id     TEXT NOT NULL,
            enrolled_at  INTEGER NOT NULL
        );
        -- Every client certificate the CA issued; a connection's certificate must be here and not revoked.
        CREATE TABLE certificates (
            serial      TEXT PRIMARY KEY,     -- lowercase hex
            kind        TEXT NOT NULL,        -- fleet-nodes | fleet-admins
            name        TEXT NOT NULL,        -- subject CN
            node_id     TEXT,                 -- node certificates only
            not_before  INTEGER NOT NULL,
            not_after   INTEGER NOT NULL,
            revoked_at  INTEGER
        );
        CREATE INDEX certificates_node_id ON certificates (node_id);
        """,
        """
        -- Rollouts, persisted at every transition (rollout, node, step) so a restarted coordinator resumes them.
        CREATE TABLE rollouts (
            id           TEXT PRIMARY KEY,      -- r1, r2, ...
            seq          INTEGER NOT NULL UNIQUE,
            nonce        TEXT NOT NULL,         -- part of every step id, so ids never repeat across databases
            name         TEXT NOT NULL,
            recipe       TEXT NOT NULL,
            plan_yaml    TEXT NOT NULL,
            state        TEXT NOT NULL,         -- running | paused | aborting | succeeded | failed | aborted
            reason       TEXT NOT NULL,
            batches      TEXT NOT NULL,         -- JSON: [{Number, Nodes, Parallelism}]
            created_at   INTEGER NOT NULL,      -- unix milliseconds
            updated_at   INTEGER NOT NULL,
            finished_at  INTEGER
        );
        CREATE TABLE rollout_nodes (
            rollout_id   TEXT NOT NULL REFERENCES rollouts (id),
            name         TEXT NOT NULL,
            node_id      TEXT NOT NULL,
            arch         TEXT NOT NULL,
            kube_node    TEXT NOT NULL,
            batch        INTEGER NOT NULL,
            state        TEXT NOT NULL,         -- pending | running | succeeded | failed | skipped
            error        TEXT NOT NULL,
            cordoned     INTEGER NOT NULL,      -- Fleet cordoned it and has not uncordoned it yet
            PRIMARY KEY (rollout_id, name)
        );
        CREATE TABLE rollout_steps (
            rollout_id   TEXT NOT NULL REFERENCES rollouts (id),
            node         TEXT NOT NULL,
            idx          INTEGER NOT NULL,
            spec         TEXT NOT NULL,         -- JSON NodeStep, resolved for the node's arch; never a secret
            state        TEXT NOT NULL,         -- pending | running | succeeded | failed
            reason       TEXT NOT NULL,
            attempt      INTEGER NOT NULL,      -- 0, then +1 each time a resume retries it: part of its step id
            PRIMARY KEY (rollout_id, node, idx)
        );
        CREATE TABLE rollout_log (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            rollout_id   TEXT NOT NULL REFERENCES rollouts (id),
            at           INTEGER NOT NULL,
            node         TEXT NOT NULL,         -- empty: the rollout itself
            level        TEXT NOT NULL,         -- info | warn | error
            message      TEXT NOT NULL
        );
        CREATE INDEX rollout_log_rollout ON rollout_log (rollout_id, id);
        """,
        """
        -- Kubernetes node mappings an operator set (fleetctl cluster map); a node without one maps to its certificate name.
        -- Keyed by the enrolled node id, so a removed node's mapping goes with it and a re-enrolled name starts unmapped.
        CREATE TABLE kube_node_map (
            node_id    TEXT PRIMARY KEY REFERENCES enrollments (node_id) ON DELETE CASCADE,
            kube_node  TEXT NOT NULL UNIQUE,
            mapped_at  INTEGER NOT NULL      -- unix milliseconds
        );
        """,
        """
        -- The SHA-256 fingerprint of each certificate, recorded as it is issued (fleetctl admin-cert list):
        -- "sha256:<hex of the DER certificate>"; NULL for certificates issued before this column existed.
        ALTER TABLE certificates ADD COLUMN sha256 TEXT;
        """,
        """
        -- target.skipDisconnected: the selected nodes a rollout left out because they were not connected at apply (JSON array of names).
        ALTER TABLE rollouts ADD COLUMN skipped_disconnected TEXT NOT NULL DEFAULT '[]';
        """,
        // issue 15 rollback
        """
        -- Each node's kubelet version when the rollout was planned ("" when unknown): what an automatic rollback and
        -- `fleetctl rollout rollback` wait for the node to be Ready at again.
        ALTER TABLE rollout_nodes ADD COLUMN from_version TEXT NOT NULL DEFAULT '';
        """,
        """
        -- The version the rollout moves each node to (upgrade-agent: the fleet-agent version; upgrade-kubernetes: its last
        -- phase's); "" for rows stored before (read from their last wait-ready step) and for recipes without one.
        ALTER TABLE rollout_nodes ADD COLUMN to_version TEXT NOT NULL DEFAULT '';
        """,
    ];

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);

    public SqliteDatabase(string path)
    {
        Path = path;
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>
    /// A connection for writing: writers take turns here, asynchronously, before SQLite sees them.
    /// SQLite allows one writer at a time, and Microsoft.Data.Sqlite answers a busy database by
    /// retrying with Thread.Sleep on the calling thread; with thousands of agents saying Hello at
    /// once, those sleeps starved the thread pool (BENCHMARKS.md). The turn ends when the returned
    /// connection is disposed. <paramref name="durability"/> is <see cref="WriteDurability.Full"/>
    /// unless the write only records what a node will say again (its facts, its latest health).
    /// </summary>
    public async Task<SqliteConnection> OpenWriterAsync(CancellationToken ct, WriteDurability durability = WriteDurability.Full)
    {
        await _writer.WaitAsync(ct);
        try
        {
            var connection = await OpenAsync(ct);
            if (durability == WriteDurability.Resent)
            {
                await using var pragma = connection.CreateCommand();
                pragma.CommandText = "PRAGMA synchronous = NORMAL;"; // OpenAsync sets FULL again on the next use of this pooled connection
                await pragma.ExecuteNonQueryAsync(ct);
            }

            var released = 0;
            connection.Disposed += (_, _) =>
            {
                if (Interlocked.Exchange(ref released, 1) == 0)
                {
                    _writer.Release();
                }
            };
            return connection;
        }
        catch
        {
            _writer.Release();
            throw;
        }
    }

    /// <summary>
    /// A connection with synchronous=FULL: in WAL mode, NORMAL syncs the log only at checkpoints, so a
    /// power loss could undo a committed transaction — a revocation, a token use, a rollout
    /// transition. FULL syncs the WAL at every commit (docs/security.md; its cost is in BENCHMARKS.md).
    /// </summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);";
            await setup.ExecuteNonQueryAsync(ct);
        }

        long current;
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
            current = (long)(await read.ExecuteScalarAsync(ct))!;
        }

        if (current > Migrations.Length)
        {
            throw new InvalidOperationException($"{Path} has schema version {current}, newer than this coordinator knows ({Migrations.Length}); run a newer fleet-coordinator");
        }

        for (var version = (int)current + 1; version <= Migrations.Length; version++)
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await using var migrate = connection.CreateCommand();
            migrate.Transaction = tx;
            migrate.CommandText = Migrations[version - 1] + $"\nINSERT INTO schema_version (version) VALUES ({version});";
            await migrate.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
        }
    }
}

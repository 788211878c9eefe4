using Fleet.Coordinator.Storage;

namespace Fleet.Coordinator.Catalog;

public sealed record StoredCatalog(long Version, string Yaml, CatalogDocument Document, DateTimeOffset AppliedAt);

/// <summary>Versioned catalogs: every apply adds a version; the newest is current.</summary>
public interface ICatalogStore
{
    Task<long> AddAsync(string yaml, DateTimeOffset at, CancellationToken ct);

    Task<StoredCatalog?> CurrentAsync(CancellationToken ct);
}

public sealed class SqliteCatalogStore(SqliteDatabase database) : ICatalogStore
{
    public async Task<long> AddAsync(string yaml, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO catalogs (yaml, applied_at) VALUES ($yaml, $at) RETURNING version";
        insert.Parameters.AddWithValue("$yaml", yaml);
        insert.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        return (long)(await insert.ExecuteScalarAsync(ct))!;
    }

    public async Task<StoredCatalog?> CurrentAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT version, yaml, applied_at FROM catalogs ORDER BY version DESC LIMIT 1";
        await using var reader = await query.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var yaml = reader.GetString(1);
        var (doc, problems) = CatalogParser.Parse(yaml);
        return doc is null
            ? throw new InvalidOperationException($"stored catalog version {reader.GetInt64(0)} no longer parses: {string.Join("; ", problems)}")
            : new StoredCatalog(reader.GetInt64(0), yaml, doc, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)));
    }
}

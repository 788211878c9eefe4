using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fleet.Coordinator.Storage;

/// <summary>grpc.health.v1 reports SERVING only while the database answers.</summary>
public sealed class StoreHealthCheck(SqliteDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var query = connection.CreateCommand();
            query.CommandText = "SELECT 1";
            await query.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            return HealthCheckResult.Unhealthy($"{database.Path}: {ex.Message}");
        }
    }
}

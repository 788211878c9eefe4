namespace Fleet.Coordinator.Catalog;

public static class CatalogServices
{
    /// <summary>The per-architecture artifact catalog (stored in SQLite).</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddSingleton<ICatalogStore, SqliteCatalogStore>();
        return services;
    }
}

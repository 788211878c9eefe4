using System.Text.Json;

namespace Fleet.Coordinator.Catalog;

internal static class CatalogJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(CatalogDocument catalog) => JsonSerializer.Serialize(catalog, Options);
}

using Fleet.Coordinator.Catalog;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

/// <summary>The catalog half of the control API: validate and store, or show the current one.</summary>
public sealed class CatalogApi(ICatalogStore catalogs, TimeProvider time)
{
    public async Task<ApplyCatalogResponse> ApplyAsync(ApplyCatalogRequest request, CancellationToken ct)
    {
        var (catalog, problems) = CatalogParser.Parse(request.Yaml);
        if (catalog is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the catalog is invalid; nothing was stored:\n  {string.Join("\n  ", problems)}"));
        }

        return new ApplyCatalogResponse { Version = await catalogs.AddAsync(request.Yaml, time.GetUtcNow(), ct) };
    }

    public async Task<GetCatalogResponse> GetAsync(CancellationToken ct)
    {
        var current = await catalogs.CurrentAsync(ct);
        return current is null
            ? new GetCatalogResponse()
            : new GetCatalogResponse
            {
                Version = current.Version,
                Yaml = current.Yaml,
                Json = CatalogJson.Serialize(current.Document),
                AppliedAt = Timestamp.FromDateTimeOffset(current.AppliedAt),
            };
    }
}

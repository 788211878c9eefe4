using Fleet.V1;
using Grpc.Core;

namespace Fleet.Testing;

/// <summary>The control API's server streams read to the end, for tests.</summary>
public static class ControlClientExtensions
{
    public static async Task<List<Node>> ListAllNodesAsync(this ControlService.ControlServiceClient client, ListNodesRequest? request = null)
    {
        using var call = client.ListNodes(request ?? new ListNodesRequest());
        return await call.ResponseStream.ReadAllAsync().ToListAsync().AsTask().DefaultTimeout();
    }

    public static async Task<List<RolloutLogLine>> GetAllRolloutLogsAsync(this ControlService.ControlServiceClient client, RolloutLogsRequest request)
    {
        using var call = client.GetRolloutLogs(request);
        return await call.ResponseStream.ReadAllAsync().ToListAsync().AsTask().DefaultTimeout();
    }
}

using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Nodes;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

/// <summary>The operators' API behind fleetctl. Served only on the control socket.</summary>
public sealed class ControlApi(INodeStore store, AgentRegistry registry, NodeStatusPolicy status, CatalogApi catalog, RunStepApi runs) : ControlService.ControlServiceBase
{
    public override Task<ApplyCatalogResponse> ApplyCatalog(ApplyCatalogRequest request, ServerCallContext context) =>
        catalog.ApplyAsync(request, context.CancellationToken);

    public override Task<GetCatalogResponse> GetCatalog(GetCatalogRequest request, ServerCallContext context) =>
        catalog.GetAsync(context.CancellationToken);

    public override Task RunStep(RunStepRequest request, IServerStreamWriter<RunStepEvent> responseStream, ServerCallContext context) =>
        runs.RunAsync(request, responseStream, context.CancellationToken);

    public override async Task<ListNodesResponse> ListNodes(ListNodesRequest request, ServerCallContext context)
    {
        if (request.Arch != Arch.Unspecified && !request.Arch.IsKnown())
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"arch: unknown value {(int)request.Arch}"));
        }

        var response = new ListNodesResponse();
        foreach (var record in await store.ListAsync(context.CancellationToken))
        {
            var node = ToNode(record);
            if ((request.Arch == Arch.Unspecified || node.Facts.Arch == request.Arch)
                && (request.Status == NodeStatus.Unspecified || node.Status == request.Status))
            {
                response.Nodes.Add(node);
            }
        }

        return response;
    }

    public override async Task<Node> GetNode(GetNodeRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "name: missing"));
        }

        var record = await store.FindByNameAsync(request.Name, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no node named \"{request.Name}\""));
        return ToNode(record);
    }

    private Node ToNode(NodeRecord record) => new()
    {
        Id = record.Id,
        Name = record.Name,
        Status = status.StatusOf(record.LastSeen),
        Connected = registry.IsConnected(record.Id),
        Facts = record.Facts,
        Health = record.Health,
        FirstSeen = Timestamp.FromDateTimeOffset(record.FirstSeen),
        LastSeen = Timestamp.FromDateTimeOffset(record.LastSeen),
    };
}

using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Nodes;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

/// <summary>The operators' API behind fleetctl. Served only on the control socket, or on TCP to admin certificates.</summary>
public sealed partial class ControlApi(
    INodeStore store,
    IEnrollmentStore enrollments,
    AgentRegistry registry,
    NodeStatusPolicy status,
    JoinTokens tokens,
    AdminCertificates admins,
    CatalogApi catalog,
    RunStepApi runs,
    RolloutApi rollouts,
    ClusterApi cluster,
    TimeProvider time,
    ILogger<ControlApi> logger) : ControlService.ControlServiceBase
{
    public override Task<ApplyCatalogResponse> ApplyCatalog(ApplyCatalogRequest request, ServerCallContext context) =>
        catalog.ApplyAsync(request, context.CancellationToken);

    public override Task<GetCatalogResponse> GetCatalog(GetCatalogRequest request, ServerCallContext context) =>
        catalog.GetAsync(context.CancellationToken);

    public override Task<RolloutPlanView> PlanRollout(RolloutPlanRequest request, ServerCallContext context) => rollouts.PlanAsync(request, context.CancellationToken);

    public override Task<Rollout> ApplyRollout(ApplyRolloutRequest request, ServerCallContext context) => rollouts.ApplyAsync(request, context.CancellationToken);

    public override Task<ListRolloutsResponse> ListRollouts(ListRolloutsRequest request, ServerCallContext context) => rollouts.ListAsync(context.CancellationToken);

    public override Task<Rollout> GetRollout(RolloutIdRequest request, ServerCallContext context) => rollouts.GetAsync(request, context.CancellationToken);

    public override Task WatchRollout(RolloutIdRequest request, IServerStreamWriter<RolloutEvent> responseStream, ServerCallContext context) =>
        rollouts.WatchAsync(request, responseStream, context.CancellationToken);

    public override Task<Rollout> PauseRollout(RolloutIdRequest request, ServerCallContext context) => rollouts.PauseAsync(request, context.CancellationToken);

    public override Task<Rollout> ResumeRollout(RolloutIdRequest request, ServerCallContext context) => rollouts.ResumeAsync(request, context.CancellationToken);

    public override Task<Rollout> AbortRollout(RolloutIdRequest request, ServerCallContext context) => rollouts.AbortAsync(request, context.CancellationToken);

    public override Task<RollbackRolloutResponse> RollbackRollout(RollbackRolloutRequest request, ServerCallContext context) => rollouts.RollbackAsync(request, context.CancellationToken);

    public override Task GetRolloutLogs(RolloutLogsRequest request, IServerStreamWriter<RolloutLogLine> responseStream, ServerCallContext context) =>
        rollouts.LogsAsync(request, responseStream, context.CancellationToken);

    public override Task RunStep(RunStepRequest request, IServerStreamWriter<RunStepEvent> responseStream, ServerCallContext context) =>
        runs.RunAsync(request, responseStream, context.CancellationToken);

    public override async Task ListNodes(ListNodesRequest request, IServerStreamWriter<Node> responseStream, ServerCallContext context)
    {
        if (request.Arch != Arch.Unspecified && !request.Arch.IsKnown())
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"arch: unknown value {(int)request.Arch}"));
        }

        if (NodeLabels.Problems(request.Labels, "labels") is { Count: > 0 } labelProblems)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, string.Join("; ", labelProblems)));
        }

        foreach (var record in await store.ListAsync(context.CancellationToken))
        {
            var node = ToNode(record);
            if ((request.Arch == Arch.Unspecified || node.Facts.Arch == request.Arch)
                && (request.Status == NodeStatus.Unspecified || node.Status == request.Status)
                && NodeLabels.Matches(request.Labels, node.Facts.Labels))
            {
                await responseStream.WriteAsync(node, context.CancellationToken);
            }
        }
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

    public override async Task<RemoveNodeResponse> RemoveNode(RemoveNodeRequest request, ServerCallContext context)
    {
        var name = RequireName(request.Name);
        var revoked = await enrollments.RemoveAsync(name, time.GetUtcNow(), context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no enrolled node named \"{name}\""));
        registry.Disconnect(name);
        CoordinatorLog.NodeRemoved(logger, name, revoked);
        return new RemoveNodeResponse { CertificatesRevoked = revoked };
    }

    public override async Task<Node> ApproveNode(ApproveNodeRequest request, ServerCallContext context)
    {
        var name = RequireName(request.Name);
        var enrollment = await enrollments.ApproveAsync(name, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no enrolled node named \"{name}\""));
        registry.Approve(enrollment.NodeId);
        CoordinatorLog.NodeApproved(logger, name);
        var record = await store.FindByNameAsync(name, context.CancellationToken);
        return record is null ? new Node { Id = enrollment.NodeId, Name = name, Approved = true } : ToNode(record);
    }

    public override Task<CreateTokenResponse> CreateToken(CreateTokenRequest request, ServerCallContext context) => tokens.CreateAsync(request, context.CancellationToken);

    public override Task<ListTokensResponse> ListTokens(ListTokensRequest request, ServerCallContext context) => tokens.ListAsync(context.CancellationToken);

    public override Task<Token> RevokeToken(RevokeTokenRequest request, ServerCallContext context) => tokens.RevokeAsync(request, context.CancellationToken);

    public override Task<CreateAdminCertificateResponse> CreateAdminCertificate(CreateAdminCertificateRequest request, ServerCallContext context) =>
        admins.CreateAsync(request, context.CancellationToken);

    public override Task<RevokeAdminCertificateResponse> RevokeAdminCertificate(RevokeAdminCertificateRequest request, ServerCallContext context) =>
        admins.RevokeAsync(request, context.CancellationToken);

    public override Task<ListAdminCertificatesResponse> ListAdminCertificates(ListAdminCertificatesRequest request, ServerCallContext context) =>
        admins.ListAsync(context.CancellationToken);

    private static string RequireName(string name) =>
        string.IsNullOrWhiteSpace(name) ? throw new RpcException(new Status(StatusCode.InvalidArgument, "name: missing")) : name;

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
        Approved = record.Approved,
    };
}

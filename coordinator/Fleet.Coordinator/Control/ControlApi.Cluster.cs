using Fleet.Coordinator.Kubernetes;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

// Cluster (Kubernetes): fleetctl cluster set | status | audit | map | unmap.
public sealed partial class ControlApi
{
    public override Task<SetKubeconfigResponse> SetKubeconfig(SetKubeconfigRequest request, ServerCallContext context) =>
        Cluster(context).SetKubeconfigAsync(request, context.CancellationToken);

    public override Task<ClusterStatus> GetClusterStatus(GetClusterStatusRequest request, ServerCallContext context) =>
        Cluster(context).GetStatusAsync(context.CancellationToken);

    public override Task<ClusterAuditReport> AuditCluster(AuditClusterRequest request, ServerCallContext context) =>
        Cluster(context).AuditAsync(context.CancellationToken);

    public override Task<MapKubeNodeResponse> MapKubeNode(MapKubeNodeRequest request, ServerCallContext context) =>
        Cluster(context).MapAsync(request, context.CancellationToken);

    private static ClusterApi Cluster(ServerCallContext context) => context.GetHttpContext().RequestServices.GetRequiredService<ClusterApi>();
}

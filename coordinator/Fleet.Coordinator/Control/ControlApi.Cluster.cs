using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

// Cluster (Kubernetes): fleetctl cluster set | status | audit | map | unmap.
public sealed partial class ControlApi
{
    public override Task<SetKubeconfigResponse> SetKubeconfig(SetKubeconfigRequest request, ServerCallContext context) =>
        cluster.SetKubeconfigAsync(request, context.CancellationToken);

    public override Task<ClusterStatus> GetClusterStatus(GetClusterStatusRequest request, ServerCallContext context) =>
        cluster.GetStatusAsync(context.CancellationToken);

    public override Task<ClusterAuditReport> AuditCluster(AuditClusterRequest request, ServerCallContext context) =>
        cluster.AuditAsync(context.CancellationToken);

    public override Task<MapKubeNodeResponse> MapKubeNode(MapKubeNodeRequest request, ServerCallContext context) =>
        cluster.MapAsync(request, context.CancellationToken);
}

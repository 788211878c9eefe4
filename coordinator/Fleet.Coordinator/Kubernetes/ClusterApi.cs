using Fleet.Coordinator.Nodes;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>The control API's cluster calls: `fleetctl cluster set | status | audit`.</summary>
public sealed class ClusterApi(KubeconfigProvider provider, INodeStore nodes, KubeNodeLabeler labeler)
{
    public const string NoKubeconfig =
        "no kubeconfig is configured: start fleet-coordinator with --kubeconfig FILE, or run `fleetctl cluster set --kubeconfig FILE`";

    public async Task<SetKubeconfigResponse> SetKubeconfigAsync(SetKubeconfigRequest request, CancellationToken ct)
    {
        string server;
        try
        {
            server = await provider.StoreAsync(request.Kubeconfig, ct);
        }
        catch (KubernetesActionException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }

        var response = new SetKubeconfigResponse { Path = provider.StoredPath, Server = server };
        try
        {
            response.ServerVersion = await Require().GetServerVersionAsync(ct);
        }
        catch (KubernetesActionException ex)
        {
            response.Error = ex.Message;
        }

        labeler.Kick();
        return response;
    }

    public async Task<ClusterStatus> GetStatusAsync(CancellationToken ct)
    {
        var cluster = Require();
        var status = new ClusterStatus { Kubeconfig = provider.ActivePath ?? "", Server = cluster.Server };
        var kubeNodes = await Call(async () =>
        {
            status.ServerVersion = await cluster.GetServerVersionAsync(ct);
            return await cluster.ListNodeObjectsAsync(ct);
        });
        var mappings = ClusterMapping.Map(await nodes.ListAsync(ct), kubeNodes);
        status.Mappings.AddRange(mappings);
        var fleetByKube = mappings.Where(m => m.Found).GroupBy(m => m.KubeNode).ToDictionary(g => g.Key, g => string.Join(",", g.Select(m => m.FleetNode)));
        foreach (var raw in kubeNodes.OrderBy(n => n.Metadata.Name, StringComparer.Ordinal))
        {
            var node = KubernetesClientCluster.ToKubeNode(raw);
            status.KubeNodes.Add(new KubeNodeStatus
            {
                Name = node.Name,
                KubeletVersion = node.KubeletVersion,
                Ready = node.Ready,
                ControlPlane = node.ControlPlane,
                Unschedulable = node.Unschedulable,
                CordonedByFleet = node.CordonedByFleet,
                Arch = KubeLabels.LabelOf(raw, KubeLabels.Arch),
                Board = KubeLabels.LabelOf(raw, KubeLabels.Board),
                FleetNode = fleetByKube.GetValueOrDefault(node.Name, ""),
            });
        }

        return status;
    }

    public async Task<ClusterAuditReport> AuditAsync(CancellationToken ct)
    {
        var cluster = Require();
        var (version, kubeNodes, daemonSets, deployments) = await Call(async () => (
            await cluster.GetServerVersionAsync(ct),
            await cluster.ListNodeObjectsAsync(ct),
            await cluster.ListDaemonSetsAsync(ct),
            await cluster.ListDeploymentsAsync(ct)));
        return ClusterAuditor.Audit(version, kubeNodes, daemonSets, deployments, await nodes.ListAsync(ct));
    }

    /// <summary>The cluster; FailedPrecondition (not Unavailable, which means the coordinator itself) when there is none or it cannot be used.</summary>
    private KubernetesClientCluster Require()
    {
        try
        {
            return provider.Get() ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, NoKubeconfig));
        }
        catch (KubernetesActionException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
    }

    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (KubernetesActionException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
    }
}

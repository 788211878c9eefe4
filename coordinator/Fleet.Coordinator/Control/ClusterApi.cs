using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Nodes;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

/// <summary>The control API's cluster calls: `fleetctl cluster set | status | audit`.</summary>
public sealed class ClusterApi(KubeconfigProvider provider, INodeStore nodes, KubeNodeMap map, KubeNodeMapStore mapStore, KubeNodeLabeler labeler, TimeProvider time, ILogger<ClusterApi> logger)
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
        var kubeNodes = await Call(cluster, async t =>
        {
            status.ServerVersion = await cluster.GetServerVersionAsync(t);
            return await cluster.ListNodeObjectsAsync(t);
        }, ct);
        var fleet = await nodes.ListAsync(ct);
        var mappings = ClusterMapping.Map(fleet, await map.ResolveAsync(fleet, ct), kubeNodes);
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
        var (version, kubeNodes, daemonSets, deployments) = await Call(cluster, async t => (
            await cluster.GetServerVersionAsync(t),
            await cluster.ListNodeObjectsAsync(t),
            await cluster.ListDaemonSetsAsync(t),
            await cluster.ListDeploymentsAsync(t)), ct);
        var fleet = await nodes.ListAsync(ct);
        return ClusterAuditor.Audit(version, kubeNodes, daemonSets, deployments, fleet, await map.ResolveAsync(fleet, ct));
    }

    /// <summary>`fleetctl cluster map NODE KUBE-NODE` and `cluster unmap NODE`: the operator's word on which Kubernetes node a Fleet node is.</summary>
    public async Task<MapKubeNodeResponse> MapAsync(MapKubeNodeRequest request, CancellationToken ct)
    {
        if (NodeNames.Problem(request.FleetNode) is { } nodeProblem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"fleet node: {nodeProblem}"));
        }

        if (request.KubeNode.Length > 0 && !KubeNodeNames.IsValid(request.KubeNode))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"kubernetes node: \"{request.KubeNode}\" is not a valid Kubernetes node name ({KubeNodeNames.Rule})"));
        }

        try
        {
            if (request.KubeNode.Length == 0)
            {
                await mapStore.ClearAsync(request.FleetNode, ct);
                KubernetesLog.KubeNodeUnmapped(logger, request.FleetNode);
            }
            else
            {
                await mapStore.SetAsync(request.FleetNode, request.KubeNode, time.GetUtcNow(), ct);
                KubernetesLog.KubeNodeMapped(logger, request.FleetNode, request.KubeNode);
            }
        }
        catch (KubeNodeMapException ex)
        {
            var code = ex.Problem == KubeNodeMapProblem.NoSuchNode ? StatusCode.NotFound : StatusCode.FailedPrecondition;
            throw new RpcException(new Status(code, ex.Message));
        }

        labeler.Kick();
        if (request.KubeNode.Length > 0)
        {
            return new MapKubeNodeResponse { FleetNode = request.FleetNode, KubeNode = request.KubeNode, MappedBy = KubeNodeNames.ByOperator };
        }

        // Back to its name, unless an operator gave the Kubernetes node of that name to another node meanwhile.
        var claimedBy = (await mapStore.ListAsync(ct)).FirstOrDefault(m => m.KubeNode == request.FleetNode && m.FleetNode != request.FleetNode);
        return claimedBy is null
            ? new MapKubeNodeResponse { FleetNode = request.FleetNode, KubeNode = request.FleetNode, MappedBy = KubeNodeNames.ByName }
            : new MapKubeNodeResponse
            {
                FleetNode = request.FleetNode,
                MappedBy = KubeNodeNames.ByName,
                Conflict = $"Kubernetes node {request.FleetNode} is mapped to Fleet node {claimedBy.FleetNode} by an operator",
            };
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

    /// <summary>Bounded well inside fleetctl's own deadline, so an API server that does not answer is named as such.</summary>
    private static async Task<T> Call<T>(KubernetesClientCluster cluster, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(ApiTimeout);
        try
        {
            return await call(bound.Token);
        }
        catch (KubernetesActionException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"the Kubernetes API server {cluster.Server} did not answer within {ApiTimeout.TotalSeconds:0} s"));
        }
    }

    private static readonly TimeSpan ApiTimeout = TimeSpan.FromSeconds(10);
}

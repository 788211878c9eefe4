using System.Collections.Concurrent;
using System.Threading.Channels;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Nodes;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>
/// Applies fleet.io/board (the agent's board model, made a valid label value) to each approved Fleet node's Kubernetes
/// node (<see cref="KubeNodeMap"/>), and reports when kubernetes.io/arch disagrees with the arch the agent reports: once per disagreement,
/// as a warning. It never writes kubernetes.io/arch (the kubelet owns it). Runs every
/// <see cref="CoordinatorOptions.KubernetesSyncInterval"/>, and at once after `fleetctl cluster set`.
/// </summary>
public sealed class KubeNodeLabeler(
    KubeconfigProvider provider,
    INodeStore nodes,
    KubeNodeMap map,
    CoordinatorOptions options,
    TimeProvider time,
    ILogger<KubeNodeLabeler> logger) : BackgroundService
{
    private readonly Channel<bool> _kicks = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, string> _reportedMismatches = new(StringComparer.Ordinal);
    private string? _lastFailure;

    /// <summary>Synchronise now rather than at the next interval.</summary>
    public void Kick() => _kicks.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SyncOnceAsync(stoppingToken);
                _lastFailure = null;
            }
            catch (KubernetesActionException ex)
            {
                if (ex.Message != _lastFailure)
                {
                    KubernetesLog.LabelSyncFailed(logger, ex.Message);
                    _lastFailure = ex.Message;
                }
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var kicked = _kicks.Reader.ReadAsync(wait.Token).AsTask();
            await Task.WhenAny(Task.Delay(options.KubernetesSyncInterval, time, wait.Token), kicked);
            await wait.CancelAsync();
        }
    }

    /// <summary>One pass over every Fleet node that maps to a Kubernetes node; returns the labels it changed ("node=board").</summary>
    public async Task<IReadOnlyList<string>> SyncOnceAsync(CancellationToken ct)
    {
        var cluster = provider.Get();
        if (cluster is null)
        {
            return [];
        }

        var kubeNodes = await cluster.ListNodeObjectsAsync(ct);
        var fleet = await nodes.ListAsync(ct);
        var byName = kubeNodes.ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
        var changed = new List<string>();
        // Only approved nodes: an enrolled node awaiting approval has not been vouched for by an operator yet.
        foreach (var mapping in ClusterMapping.Map(fleet, await map.ResolveAsync(fleet, ct), kubeNodes).Where(m => m.Found && m.Approved))
        {
            var record = fleet.First(r => r.Name == mapping.FleetNode);
            var board = KubeLabels.SanitizeValue(record.Facts.BoardModel);
            if (board.Length > 0 && KubeLabels.LabelOf(byName[mapping.KubeNode], KubeLabels.Board) != board)
            {
                await cluster.SetNodeLabelAsync(mapping.KubeNode, KubeLabels.Board, board, ct);
                KubernetesLog.BoardLabelled(logger, mapping.KubeNode, board);
                changed.Add($"{mapping.KubeNode}={board}");
            }

            var seen = $"{mapping.KubeNode}:{mapping.KubeArch}:{mapping.FleetArch}";
            if (!mapping.ArchMismatch)
            {
                _reportedMismatches.TryRemove(mapping.FleetNode, out _);
            }
            else if (!_reportedMismatches.TryGetValue(mapping.FleetNode, out var reported) || reported != seen)
            {
                _reportedMismatches[mapping.FleetNode] = seen;
                KubernetesLog.ArchMismatch(logger, mapping.FleetNode, mapping.KubeNode, mapping.KubeArch, mapping.FleetArch);
            }
        }

        return changed;
    }
}

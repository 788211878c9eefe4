using k8s;
using k8s.Models;

namespace Fleet.Coordinator.Kubernetes;

public sealed partial class KubernetesClientCluster
{
    /// <summary>
    /// List the node (which gives a resourceVersion), then watch it from that version; when the watch ends
    /// (the server's timeout, an ERROR event such as 410 Gone) list again and watch again. A transient API
    /// error (the API server restarting during a control-plane upgrade) is retried until the timeout.
    /// </summary>
    public async Task<KubeNode> WaitReadyAsync(string node, string? kubeletVersion, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var started = _time.GetTimestamp();
        var selector = $"metadata.name={node}";
        KubeNode? last = null;
        string? lastError = null;
        try
        {
            while (true)
            {
                V1NodeList list;
                try
                {
                    list = await _client.CoreV1.ListNodeAsync(fieldSelector: selector, cancellationToken: linked.Token);
                }
                catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException)
                {
                    lastError = ex is k8s.Autorest.HttpOperationException op ? Describe(op) : ex.GetBaseException().Message;
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, linked.Token);
                    continue;
                }

                last = list.Items.Count == 0 ? null : ToKubeNode(list.Items[0]);
                if (IsReadyAt(last, kubeletVersion))
                {
                    KubernetesLog.NodeReady(_logger, node, last!.KubeletVersion);
                    return last;
                }

                var remaining = timeout - _time.GetElapsedTime(started);
                Exception? watchError = null;
                var events = _client.CoreV1.WatchListNodeAsync(
                    fieldSelector: selector,
                    resourceVersion: list.Metadata.ResourceVersion,
                    timeoutSeconds: (int)Math.Clamp(Math.Ceiling(remaining.TotalSeconds), 1, 300),
                    onError: e => watchError = e,
                    cancellationToken: linked.Token);
                await foreach (var (type, item) in events)
                {
                    if (type is WatchEventType.Added or WatchEventType.Modified)
                    {
                        last = ToKubeNode(item);
                        if (IsReadyAt(last, kubeletVersion))
                        {
                            KubernetesLog.NodeReady(_logger, node, last.KubeletVersion);
                            return last;
                        }
                    }
                    else if (type == WatchEventType.Deleted)
                    {
                        last = null;
                    }
                    else if (type == WatchEventType.Error)
                    {
                        break; // e.g. 410 Gone: the version is too old; list again
                    }
                }

                if (watchError is not null && !linked.IsCancellationRequested)
                {
                    lastError = watchError.GetBaseException().Message;
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, linked.Token);
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            var want = kubeletVersion is null ? "Ready" : $"Ready at kubelet {kubeletVersion}";
            var seen = last is null ? "the API server has no node of that name" : $"last seen {(last.Ready ? "Ready" : "NotReady")} at kubelet {Or(last.KubeletVersion)}";
            throw new KubernetesActionException(
                $"node {node} was not {want} within {timeout}: {seen}{(lastError is null ? "" : $"; last API error: {lastError}")}");
        }
    }

    private static string Or(string value) => value.Length == 0 ? "(none)" : value;

    internal static bool IsReadyAt(KubeNode? node, string? kubeletVersion) =>
        node is { Ready: true } && (kubeletVersion is null || SameVersion(node.KubeletVersion, kubeletVersion));

    /// <summary>"v1.12.5" and "1.12.5" are the same version.</summary>
    internal static bool SameVersion(string a, string b) =>
        string.Equals(a.TrimStart('v'), b.TrimStart('v'), StringComparison.Ordinal);
}

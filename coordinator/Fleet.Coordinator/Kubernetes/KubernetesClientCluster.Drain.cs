using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Fleet.Coordinator.Kubernetes;

public sealed partial class KubernetesClientCluster
{
    /// <summary>
    /// kubectl drain's rules: DaemonSet-managed pods (their controller would recreate them at once) and mirror
    /// pods (the API cannot remove static pods) stay; every other pod is evicted through the Eviction API, so
    /// PodDisruptionBudgets are honoured. A 429 (a budget allows no disruption now) is retried every
    /// <see cref="EvictionRetryInterval"/> until the timeout; then, only when asked, such pods are deleted.
    /// Evicted pods are awaited until they are gone. Whatever would not leave is listed with its reason.
    /// </summary>
    public async Task<DrainResult> DrainAsync(string node, DrainOptions options, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        bool TimedOut() => _time.GetElapsedTime(started) >= options.Timeout;

        var pods = await Api($"listing the pods on node {node}", () => _client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: $"spec.nodeName={node}", cancellationToken: ct));
        var skipped = new List<string>();
        var pending = new Dictionary<string, (V1Pod Pod, string Reason)>(StringComparer.Ordinal);
        foreach (var pod in pods.Items)
        {
            var id = $"{pod.Namespace()}/{pod.Name()}";
            if (pod.Metadata.Annotations?.ContainsKey(KubeLabels.MirrorPod) == true)
            {
                skipped.Add($"{id} (mirror pod)");
            }
            else if (pod.Metadata.OwnerReferences?.Any(o => o.Kind == "DaemonSet" && o.Controller == true) == true)
            {
                skipped.Add($"{id} (DaemonSet-managed)");
            }
            else
            {
                pending[id] = (pod, "not evicted yet");
            }
        }

        var evicted = new List<string>();
        var leaving = new List<V1Pod>();
        while (true)
        {
            foreach (var (id, (pod, _)) in pending.ToList())
            {
                var (done, reason) = await EvictAsync(node, pod, options.GracePeriod, ct);
                if (done)
                {
                    pending.Remove(id);
                    evicted.Add(id);
                    leaving.Add(pod);
                    KubernetesLog.Evicted(_logger, node, id);
                }
                else
                {
                    pending[id] = (pod, reason);
                    KubernetesLog.EvictionBlocked(_logger, node, id, reason);
                }
            }

            if (pending.Count == 0 || TimedOut())
            {
                break;
            }

            await Task.Delay(Min(EvictionRetryInterval, options.Timeout - _time.GetElapsedTime(started)), _time, ct);
        }

        if (pending.Count > 0 && options.DeleteWhenEvictionBlocked)
        {
            foreach (var (id, (pod, _)) in pending.ToList())
            {
                await DeletePodAsync(pod, options.GracePeriod, ct);
                pending.Remove(id);
                evicted.Add($"{id} (deleted)");
                leaving.Add(pod);
                KubernetesLog.DeletedAfterBlockedEviction(_logger, node, id);
            }
        }

        // Eviction starts a graceful deletion; the drain is over when the pods are gone.
        var remaining = pending.Select(p => $"{p.Key}: {p.Value.Reason}").ToList();
        while (leaving.Count > 0)
        {
            var still = new List<V1Pod>();
            foreach (var pod in leaving)
            {
                if (await StillThereAsync(pod, ct))
                {
                    still.Add(pod);
                }
            }

            leaving = still;
            if (leaving.Count == 0 || TimedOut())
            {
                break;
            }

            await Task.Delay(Min(EvictionRetryInterval, options.Timeout - _time.GetElapsedTime(started)), _time, ct);
        }

        remaining.AddRange(leaving.Select(p => $"{p.Namespace()}/{p.Name()}: evicted, but still terminating at the drain timeout"));
        var result = new DrainResult(evicted, skipped, remaining);
        if (result.Completed)
        {
            KubernetesLog.Drained(_logger, node, evicted.Count, skipped.Count);
        }
        else
        {
            KubernetesLog.DrainIncomplete(_logger, node, options.Timeout, string.Join("; ", remaining));
        }

        return result;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => b <= TimeSpan.Zero ? TimeSpan.Zero : a < b ? a : b;

    /// <summary>True when the eviction was accepted or the pod is already gone; else why it was refused.</summary>
    private async Task<(bool Done, string Reason)> EvictAsync(string node, V1Pod pod, TimeSpan? gracePeriod, CancellationToken ct)
    {
        var eviction = new V1Eviction
        {
            ApiVersion = "policy/v1",
            Kind = "Eviction",
            Metadata = new V1ObjectMeta { Name = pod.Name(), NamespaceProperty = pod.Namespace() },
            DeleteOptions = gracePeriod is { } g ? new V1DeleteOptions { GracePeriodSeconds = (long)g.TotalSeconds } : null,
        };
        try
        {
            await _client.CoreV1.CreateNamespacedPodEvictionAsync(eviction, pod.Name(), pod.Namespace(), cancellationToken: ct);
            return (true, "");
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return (true, "");
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return (false, $"eviction refused by a PodDisruptionBudget ({StatusMessage(ex.Response.Content) ?? "429"})");
        }
        catch (HttpOperationException ex)
        {
            return (false, $"eviction failed: {Describe(ex)}");
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable($"draining node {node}", ex);
        }
    }

    private async Task DeletePodAsync(V1Pod pod, TimeSpan? gracePeriod, CancellationToken ct)
    {
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Name(), pod.Namespace(), gracePeriodSeconds: gracePeriod is { } g ? (int)g.TotalSeconds : null, cancellationToken: ct);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone already.
        }
        catch (HttpOperationException ex)
        {
            throw new KubernetesActionException($"deleting pod {pod.Namespace()}/{pod.Name()}: {Describe(ex)}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable($"deleting pod {pod.Namespace()}/{pod.Name()}", ex);
        }
    }

    /// <summary>The same pod (same uid) still exists: a pod recreated under the same name is another pod.</summary>
    private async Task<bool> StillThereAsync(V1Pod pod, CancellationToken ct)
    {
        try
        {
            var current = await _client.CoreV1.ReadNamespacedPodAsync(pod.Name(), pod.Namespace(), cancellationToken: ct);
            return current.Uid() == pod.Uid();
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (HttpOperationException ex)
        {
            throw new KubernetesActionException($"reading pod {pod.Namespace()}/{pod.Name()}: {Describe(ex)}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable($"reading pod {pod.Namespace()}/{pod.Name()}", ex);
        }
    }
}

using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>Drain through the Eviction API, by the real KubernetesClient against the API server test double.</summary>
public sealed class DrainTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web" };
    private KubeHarness _k = null!;

    public async Task InitializeAsync()
    {
        _k = await KubeHarness.StartAsync();
        _k.Api.AddNode("worker-1");
        _k.Api.AddNode("worker-2");
        _k.Api.AddPod("default", "web-1", "worker-1", Web, ownerKind: "ReplicaSet");
        _k.Api.AddPod("kube-system", "kube-proxy-abcde", "worker-1", ownerKind: "DaemonSet");
        _k.Api.AddPod("kube-system", "etcd-worker-1", "worker-1", mirror: true);
        _k.Api.AddPod("default", "web-2", "worker-2", Web, ownerKind: "ReplicaSet");
    }

    public async Task DisposeAsync() => await _k.DisposeAsync();

    [Fact]
    public async Task Drain_EvictsOnlyTheNodesPods_SkipsDaemonSetAndMirrorPods_AndCompletes()
    {
        _k.Api.AddPod("default", "batch-1", "worker-1");
        _k.Api.AddPodDisruptionBudget("default", "web", Web, disruptionsAllowed: 1);

        var result = await _k.Cluster.DrainAsync("worker-1", new DrainOptions(TimeSpan.FromSeconds(30), GracePeriod: TimeSpan.FromSeconds(15)), CancellationToken.None).DefaultTimeout();

        Assert.True(result.Completed, string.Join("; ", result.Remaining));
        Assert.Equal(["default/batch-1", "default/web-1"], result.Evicted.Order());
        Assert.Equal(["kube-system/etcd-worker-1 (mirror pod)", "kube-system/kube-proxy-abcde (DaemonSet-managed)"], result.Skipped.Order());
        Assert.Equal(["kube-system/etcd-worker-1", "kube-system/kube-proxy-abcde"], _k.Api.PodsOn("worker-1").Order());
        Assert.NotNull(_k.Api.Pod("default", "web-2")); // another node's pod is untouched
        Assert.All(_k.Api.Evictions, e => Assert.Equal((201, 15L), (e.StatusCode, e.GracePeriodSeconds)));
        Assert.Equal(["batch-1", "web-1"], _k.Api.Evictions.Select(e => e.Pod).Order());
        Assert.Equal(0, _k.Api.Get("poddisruptionbudgets", "default", "web")!["status"]!["disruptionsAllowed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Drain_BlockedByAPodDisruptionBudget_RetriesUntilTheTimeout_AndNamesThePodThatWouldNotLeave()
    {
        _k.Api.AddPodDisruptionBudget("default", "web", Web, disruptionsAllowed: 0);

        var result = await _k.Cluster.DrainAsync("worker-1", new DrainOptions(TimeSpan.FromMilliseconds(600)), CancellationToken.None).DefaultTimeout();

        Assert.False(result.Completed);
        Assert.Empty(result.Evicted);
        var remaining = Assert.Single(result.Remaining);
        Assert.StartsWith("default/web-1: eviction refused by a PodDisruptionBudget", remaining);
        Assert.Contains("Cannot evict pod as it would violate the pod's disruption budget", remaining);
        Assert.NotEmpty(_k.Api.Evictions); // retried until the timeout: Drain_WaitsOutABudget shows the retries succeed
        Assert.All(_k.Api.Evictions, e => Assert.Equal(("web-1", 429), (e.Pod, e.StatusCode)));
        Assert.NotNull(_k.Api.Pod("default", "web-1"));
        Assert.Contains(_k.Logs.Messages, m => m.Contains("drain did not complete", StringComparison.Ordinal) && m.Contains("default/web-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Drain_WaitsOutABudget_AndCompletesOnceItAllowsTheEviction()
    {
        _k.Api.AddPodDisruptionBudget("default", "web", Web, disruptionsAllowed: 0);

        var drain = _k.Cluster.DrainAsync("worker-1", new DrainOptions(TimeSpan.FromSeconds(30)), CancellationToken.None);
        await Eventually.Until(() => _k.Api.Evictions.Count(e => e.StatusCode == 429) >= 2, "the eviction is refused and retried");
        _k.Api.SetDisruptionsAllowed("default", "web", 1); // a replacement became healthy elsewhere

        var result = await drain.DefaultTimeout();
        Assert.True(result.Completed, string.Join("; ", result.Remaining));
        Assert.Equal(["default/web-1"], result.Evicted);
        Assert.Null(_k.Api.Pod("default", "web-1"));
    }

    [Fact]
    public async Task Drain_DeletesPodsStillBlockedAtTheTimeout_OnlyWhenAsked()
    {
        _k.Api.AddPodDisruptionBudget("default", "web", Web, disruptionsAllowed: 0);

        var result = await _k.Cluster.DrainAsync("worker-1", new DrainOptions(TimeSpan.FromMilliseconds(300), DeleteWhenEvictionBlocked: true), CancellationToken.None).DefaultTimeout();

        Assert.True(result.Completed, string.Join("; ", result.Remaining));
        Assert.Equal(["default/web-1 (deleted)"], result.Evicted);
        Assert.Contains("pods default/web-1", _k.Api.Deletions);
        Assert.Null(_k.Api.Pod("default", "web-1"));
    }

    [Fact]
    public async Task Drain_WaitsForEvictedPodsToBeGone_AndReportsOnesStillTerminating()
    {
        _k.Api.KeepEvictedPodsTerminating = true;

        var result = await _k.Cluster.DrainAsync("worker-1", new DrainOptions(TimeSpan.FromMilliseconds(400)), CancellationToken.None).DefaultTimeout();
        Assert.False(result.Completed);
        Assert.Equal(["default/web-1: evicted, but still terminating at the drain timeout"], result.Remaining);

        var drain = _k.Cluster.DrainAsync("worker-1", new DrainOptions(TimeSpan.FromSeconds(30)), CancellationToken.None);
        await Eventually.Until(() => _k.Api.Evictions.Count >= 2, "the second drain evicts again");
        _k.Api.FinishTermination("default", "web-1");
        Assert.True((await drain.DefaultTimeout()).Completed);
    }

    [Fact]
    public async Task Drain_OfANodeWithoutPods_CompletesAtOnce()
    {
        var result = await _k.Cluster.DrainAsync("worker-3", new DrainOptions(TimeSpan.FromSeconds(5)), CancellationToken.None).DefaultTimeout();
        Assert.True(result.Completed);
        Assert.Empty(result.Evicted);
        Assert.Empty(_k.Api.Evictions);
    }
}

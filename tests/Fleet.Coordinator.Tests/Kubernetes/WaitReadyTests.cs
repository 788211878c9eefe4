using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>Waiting for a node to be Ready at a kubelet version, with a watch.</summary>
public sealed class WaitReadyTests : IAsyncLifetime
{
    private KubeHarness _k = null!;

    public async Task InitializeAsync()
    {
        _k = await KubeHarness.StartAsync();
        _k.Api.AddNode("worker-1", kubeletVersion: "v1.27.6", ready: false);
        _k.Api.AddNode("worker-2", kubeletVersion: "v1.28.3");
    }

    public async Task DisposeAsync() => await _k.DisposeAsync();

    [Fact]
    public async Task AWatchSeesReadyArrive_AtTheTargetVersion()
    {
        var wait = _k.Cluster.WaitReadyAsync("worker-1", "v1.28.3", TimeSpan.FromSeconds(60), CancellationToken.None);
        await Eventually.Until(() => _k.Api.OpenWatches == 1, "the wait has opened a watch");

        // The kubelet restarts on the old version first: Ready, but not yet the target.
        _k.Api.SetNodeStatus("worker-1", ready: true, kubeletVersion: "v1.27.6");
        _k.Api.SetNodeStatus("worker-1", ready: false, kubeletVersion: "v1.28.3");
        _k.Api.SetNodeStatus("worker-1", ready: true, kubeletVersion: "v1.28.3");

        var node = await wait.DefaultTimeout();
        Assert.Equal(("worker-1", "v1.28.3", true), (node.Name, node.KubeletVersion, node.Ready));
        var watch = Assert.Single(_k.Api.WatchRequests); // one watch saw it all: no polling
        Assert.Contains("watch=true", watch);
        Assert.Contains("fieldSelector=metadata.name%3Dworker-1", watch);
        Assert.Matches("resourceVersion=[0-9]+", watch);
    }

    [Fact]
    public async Task ANodeAlreadyReadyAtTheVersion_NeedsNoWatch()
    {
        var node = await _k.Cluster.WaitReadyAsync("worker-2", "1.28.3", TimeSpan.FromSeconds(10), CancellationToken.None).DefaultTimeout();
        Assert.True(node.Ready);
        Assert.Empty(_k.Api.WatchRequests);
    }

    [Fact]
    public async Task TheTimeout_SaysWhatWasLastSeen()
    {
        _k.Api.SetNodeStatus("worker-1", ready: true); // Ready, but still v1.27.6: never the target

        var ex = await Assert.ThrowsAsync<KubernetesActionException>(() =>
            _k.Cluster.WaitReadyAsync("worker-1", "v1.28.3", TimeSpan.FromSeconds(1), CancellationToken.None).DefaultTimeout());
        Assert.Equal("node worker-1 was not Ready at kubelet v1.28.3 within 00:00:01: last seen Ready at kubelet v1.27.6", ex.Message);
    }

    [Fact]
    public async Task ANodeThatDoesNotExist_TimesOutNamingIt()
    {
        var ex = await Assert.ThrowsAsync<KubernetesActionException>(() =>
            _k.Cluster.WaitReadyAsync("worker-9", null, TimeSpan.FromMilliseconds(500), CancellationToken.None).DefaultTimeout());
        Assert.Equal("node worker-9 was not Ready within 00:00:00.5000000: the API server has no node of that name", ex.Message);
    }

    [Fact]
    public async Task ANodeRegisteredWhileWaiting_IsSeenThroughTheWatch()
    {
        var wait = _k.Cluster.WaitReadyAsync("worker-3", null, TimeSpan.FromSeconds(60), CancellationToken.None);
        await Eventually.Until(() => _k.Api.OpenWatches == 1, "the wait has opened a watch");
        _k.Api.AddNode("worker-3", kubeletVersion: "v1.28.3");
        Assert.Equal("worker-3", (await wait.DefaultTimeout()).Name);
    }
}

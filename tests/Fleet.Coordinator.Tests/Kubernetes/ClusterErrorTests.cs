using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>Bad kubeconfigs and an API server that is down or refuses the credentials give one clear message.</summary>
public sealed class ClusterErrorTests : IAsyncLifetime
{
    private KubeHarness _k = null!;

    public async Task InitializeAsync() => _k = await KubeHarness.StartAsync();

    public async Task DisposeAsync() => await _k.DisposeAsync();

    [Fact]
    public void AMissingKubeconfig_IsNamed()
    {
        var path = Path.Join(_k.Dir, "nope.yaml");
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Load(path));
        Assert.StartsWith($"kubeconfig {path}: cannot be read: ", ex.Message);
    }

    [Fact]
    public void AKubeconfigThatIsNotOne_IsNamed()
    {
        var path = Path.Join(_k.Dir, "garbage.yaml");
        File.WriteAllText(path, "this: [is not\n  a kubeconfig");
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Load(path));
        Assert.StartsWith($"kubeconfig {path} is not usable: ", ex.Message);
    }

    [Fact]
    public void AKubeconfigWithoutACurrentContext_IsNamed()
    {
        var path = Path.Join(_k.Dir, "empty.yaml");
        File.WriteAllText(path, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Load(path));
        Assert.StartsWith($"kubeconfig {path} is not usable: ", ex.Message);
    }

    [Fact]
    public async Task AnAPIServerThatIsDown_IsUnreachable()
    {
        var url = _k.Api.Url;
        await _k.Api.DisposeAsync();

        var ex = await Assert.ThrowsAsync<KubernetesActionException>(() => _k.Cluster.GetServerVersionAsync(CancellationToken.None));
        Assert.StartsWith($"reading the API server's version: the Kubernetes API server {url.ToString().TrimEnd('/')} is unreachable: ", ex.Message.Replace(url.ToString(), url.ToString().TrimEnd('/'), StringComparison.Ordinal));
        Assert.Contains("refused", ex.Message, StringComparison.OrdinalIgnoreCase);

        var cordon = await Assert.ThrowsAsync<KubernetesActionException>(() => _k.Cluster.CordonAsync("worker-1", CancellationToken.None));
        Assert.StartsWith("reading node worker-1: the Kubernetes API server", cordon.Message);
    }

    [Fact]
    public async Task RefusedCredentials_AreSaidToBeRefused()
    {
        using var cluster = _k.ClusterFrom(_k.Api.WriteKubeconfigWithBadToken());
        var ex = await Assert.ThrowsAsync<KubernetesActionException>(() => cluster.ListNodesAsync(CancellationToken.None));
        Assert.Equal("listing nodes: the API server answered 401 Unauthorized (the kubeconfig's credentials were refused): Unauthorized", ex.Message);
    }

    [Fact]
    public async Task TheServerVersion_IsTheAPIServers()
    {
        _k.Api.ServerVersion = "v1.29.1";
        Assert.Equal("v1.29.1", await _k.Cluster.GetServerVersionAsync(CancellationToken.None));
    }
}

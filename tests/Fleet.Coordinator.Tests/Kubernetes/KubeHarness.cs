using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;
using Serilog;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>The real KubernetesClient (through <see cref="KubernetesClientCluster"/>) against the API server test double.</summary>
public sealed class KubeHarness : IAsyncDisposable
{
    private readonly TempDir _dir;

    private KubeHarness(TempDir dir, FakeKubeApiServer api, LogCollector logs)
    {
        _dir = dir;
        Api = api;
        Logs = logs;
        Cluster = ClusterFrom(api.KubeconfigPath);
    }

    public FakeKubeApiServer Api { get; }

    public KubernetesClientCluster Cluster { get; }

    public LogCollector Logs { get; }

    public string Dir => _dir.Path;

    public static async Task<KubeHarness> StartAsync()
    {
        var dir = new TempDir();
        var api = await FakeKubeApiServer.StartAsync(dir.Combine("api"));
        return new KubeHarness(dir, api, new LogCollector());
    }

    /// <summary>A cluster over any kubeconfig; retries refused evictions every 50 ms so tests stay short.</summary>
    public KubernetesClientCluster ClusterFrom(string kubeconfig)
    {
        var logger = new Serilog.Extensions.Logging.SerilogLoggerFactory(new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(Logs).CreateLogger(), dispose: true)
            .CreateLogger("Fleet.Coordinator.Kubernetes");
        return new KubernetesClientCluster(KubeconfigProvider.Load(kubeconfig), TimeProvider.System, logger, TimeSpan.FromMilliseconds(50));
    }

    public async ValueTask DisposeAsync()
    {
        Cluster.Dispose();
        await Api.DisposeAsync();
        _dir.Dispose();
    }
}

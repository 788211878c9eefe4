using Fleet.Coordinator.Hosting;
using k8s;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>
/// The cluster from the kubeconfig in use: the copy `fleetctl cluster set` stored in the data folder
/// (DATA_DIR/kubeconfig, mode 0600: it holds credentials) when there is one, else --kubeconfig. The file
/// is read again when it changes, so a new kubeconfig takes effect without a restart.
/// </summary>
public sealed class KubeconfigProvider(CoordinatorOptions options, TimeProvider time, ILoggerFactory loggers) : IKubernetesClusterProvider
{
    public const string FileName = "kubeconfig";
    private readonly Lock _gate = new();
    private Loaded? _current;

    public string StoredPath => Path.Join(options.DataDir, FileName);

    /// <summary>The kubeconfig in use, or null when none is configured.</summary>
    public string? ActivePath => File.Exists(StoredPath) ? StoredPath : options.Kubeconfig;

    public ValueTask<IKubernetesCluster?> GetAsync(CancellationToken ct) => ValueTask.FromResult<IKubernetesCluster?>(Get());

    /// <summary>The cluster, or null when no kubeconfig is configured; throws <see cref="KubernetesActionException"/> when it cannot be used.</summary>
    public KubernetesClientCluster? Get()
    {
        var path = ActivePath;
        if (path is null)
        {
            return null;
        }

        var written = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
        lock (_gate)
        {
            if (_current is { } current && current.Path == path && current.Written == written)
            {
                return current.Cluster;
            }

            // The previous client is not disposed: a rollout may still be using it; it goes with the garbage.
            var cluster = new KubernetesClientCluster(Load(path), time, loggers.CreateLogger<KubernetesClientCluster>(), options.EvictionRetryInterval);
            _current = new Loaded(path, written, cluster);
            return cluster;
        }
    }

    /// <summary>Checks and stores a kubeconfig (atomically, mode 0600) as the one to use from now on; returns its API server.</summary>
    public async Task<string> StoreAsync(string content, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            throw new KubernetesActionException("the kubeconfig is empty");
        }

        var server = Parse(content, "the kubeconfig").Host;
        Directory.CreateDirectory(options.DataDir);
        var temp = StoredPath + ".tmp";
        var file = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var stream = new FileStream(temp, file))
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(content), ct);
            await stream.FlushAsync(ct);
            stream.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite); // an older .tmp may have kept other bits
        File.Move(temp, StoredPath, overwrite: true);
        lock (_gate)
        {
            _current = null;
        }

        KubernetesLog.KubeconfigStored(loggers.CreateLogger<KubeconfigProvider>(), StoredPath, server);
        return server;
    }

    /// <summary>Reads a kubeconfig file; every problem becomes one message naming the file.</summary>
    public static KubernetesClientConfiguration Load(string path)
    {
        string content;
        try
        {
            content = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KubernetesActionException($"kubeconfig {path}: cannot be read: {ex.Message}", ex);
        }

        return Parse(content, $"kubeconfig {path}");
    }

    /// <summary>
    /// Checks a kubeconfig against <see cref="KubeconfigPolicy"/> and builds the client's configuration from it; every
    /// problem becomes a <see cref="KubernetesActionException"/> naming <paramref name="what"/>. Nothing in the file
    /// is run or read before the policy passed.
    /// </summary>
    public static KubernetesClientConfiguration Parse(string content, string what)
    {
        KubernetesClientConfiguration config;
        try
        {
            var refused = KubeconfigPolicy.Problems(content);
            if (refused.Count > 0)
            {
                throw new KubernetesActionException($"{what} is refused: {string.Join("; ", refused)}");
            }

            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content));
            var k8sConfig = KubernetesClientConfiguration.LoadKubeConfig(stream);
            config = KubernetesClientConfiguration.BuildConfigFromConfigObject(k8sConfig);
        }
        // InvalidOperationException: YamlDotNet's scanner throws it, not a YamlException, on some malformed plain scalars (found by KubeconfigMutationTests).
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException or InvalidOperationException or IOException or FormatException
            or ArgumentException or NullReferenceException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new KubernetesActionException($"{what} is not usable: {FirstLine(ex.Message)}", ex);
        }

        if (string.IsNullOrEmpty(config.Host))
        {
            throw new KubernetesActionException($"{what} is not usable: its current context names no API server");
        }

        return config;
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private sealed record Loaded(string Path, DateTime Written, KubernetesClientCluster Cluster);
}

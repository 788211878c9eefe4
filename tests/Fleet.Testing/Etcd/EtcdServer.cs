using System.Diagnostics;

namespace Fleet.Testing.Etcd;

/// <summary>
/// A real etcd (Debian's etcd-server 3.4, tests/install-deps.sh) started by the test on 127.0.0.1, on free ports,
/// with TLS and client certificate authentication (<see cref="EtcdPki"/>), its data in a folder the test gives or
/// a temp folder. Driven with the real etcdctl (etcd-client). Stopped by its PID (the process this class started,
/// never another) on <see cref="StopAsync"/> and on dispose.
/// </summary>
public sealed class EtcdServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/etcd";
    public const string Etcdctl = "/usr/bin/etcdctl";
    private const string MemberName = "fleet-test";

    private readonly ServerProcess _process;
    private readonly TempDir? _ownDir;

    private EtcdServer(ServerProcess process, EtcdPki pki, string dataDir, int clientPort, TempDir? ownDir)
    {
        _process = process;
        Pki = pki;
        DataDir = dataDir;
        Endpoint = $"https://127.0.0.1:{clientPort}";
        _ownDir = ownDir;
    }

    /// <summary>https://127.0.0.1:PORT.</summary>
    public string Endpoint { get; }

    public EtcdPki Pki { get; }

    public string DataDir { get; }

    public int Pid => _process.Pid;

    public string Output => _process.Output;

    /// <summary>Starts etcd on a new data folder (a temp folder when <paramref name="dataDir"/> is null).</summary>
    public static Task<EtcdServer> StartAsync(EtcdPki pki, string? dataDir = null)
    {
        var own = dataDir is null ? new TempDir() : null;
        return StartOnAsync(pki, dataDir ?? own!.Combine("data"), FreePort.Next(), own);
    }

    /// <summary>`etcdctl snapshot restore` of <paramref name="snapshot"/> into a fresh data folder, then an etcd started on it.</summary>
    public static async Task<EtcdServer> RestoreAsync(EtcdPki pki, string snapshot)
    {
        Require();
        var own = new TempDir();
        var peerPort = FreePort.Next();
        var dataDir = own.Combine("restored");
        var restore = await ProcessRun.RunAsync(Etcdctl, ["snapshot", "restore", snapshot, $"--data-dir={dataDir}", $"--name={MemberName}",
            $"--initial-cluster={MemberName}=http://127.0.0.1:{peerPort}", $"--initial-advertise-peer-urls=http://127.0.0.1:{peerPort}"], Api3);
        if (restore.Code != 0)
        {
            own.Dispose();
            throw new InvalidOperationException($"etcdctl snapshot restore {snapshot} failed ({restore.Code}): {restore.Output}");
        }

        return await StartOnAsync(pki, dataDir, peerPort, own);
    }

    /// <summary>`etcdctl put`, through TLS with the client certificate.</summary>
    public async Task PutAsync(string key, string value)
    {
        var result = await CtlAsync("put", key, value);
        if (result.Code != 0)
        {
            throw new InvalidOperationException($"etcdctl put {key} failed ({result.Code}): {result.Output}");
        }
    }

    /// <summary>The value of <paramref name="key"/>, or null when there is none.</summary>
    public async Task<string?> GetAsync(string key)
    {
        var result = await CtlAsync("get", key, "--print-value-only");
        return result.Code != 0
            ? throw new InvalidOperationException($"etcdctl get {key} failed ({result.Code}): {result.Output}")
            : result.Stdout.TrimEnd('\n') is { Length: > 0 } value ? value : null;
    }

    public Task<ProcessOutput> CtlAsync(params string[] args) =>
        ProcessRun.RunAsync(Etcdctl, [$"--endpoints={Endpoint}", $"--cacert={Pki.CaFile}", $"--cert={Pki.ClientCertFile}", $"--key={Pki.ClientKeyFile}", "--dial-timeout=5s", "--command-timeout=10s", .. args], Api3);

    /// <summary>Kills the process this class started (by its PID) and waits for it to exit.</summary>
    public Task StopAsync() => _process.StopAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            _ownDir?.Dispose();
        }
    }

    private static readonly Dictionary<string, string> Api3 = new() { ["ETCDCTL_API"] = "3" };

    private static void Require()
    {
        foreach (var binary in new[] { Binary, Etcdctl })
        {
            if (!File.Exists(binary))
            {
                throw new InvalidOperationException($"{binary} is missing: run tests/install-deps.sh as root (Debian packages etcd-server, etcd-client)");
            }
        }
    }

    private static async Task<EtcdServer> StartOnAsync(EtcdPki pki, string dataDir, int peerPort, TempDir? own)
    {
        Require();
        var clientPort = FreePort.Next();
        var start = new ProcessStartInfo(Binary);
        foreach (var arg in new[]
        {
            $"--name={MemberName}", $"--data-dir={dataDir}",
            $"--listen-client-urls=https://127.0.0.1:{clientPort}", $"--advertise-client-urls=https://127.0.0.1:{clientPort}",
            $"--listen-peer-urls=http://127.0.0.1:{peerPort}", $"--initial-advertise-peer-urls=http://127.0.0.1:{peerPort}",
            $"--initial-cluster={MemberName}=http://127.0.0.1:{peerPort}",
            $"--cert-file={pki.ServerCertFile}", $"--key-file={pki.ServerKeyFile}", $"--trusted-ca-file={pki.CaFile}", "--client-cert-auth",
            "--listen-metrics-urls=", "--log-level=warn",
        })
        {
            start.ArgumentList.Add(arg);
        }

        // Only what etcd needs: no ETCD_* variable of the test host's environment reaches it.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ETCD", StringComparison.Ordinal)).ToArray())
        {
            start.Environment.Remove(name);
        }

        var process = ServerProcess.Start(start);
        var server = new EtcdServer(process, pki, dataDir, clientPort, own);
        try
        {
            await Eventually.Until(async () => !process.HasExited && (await server.CtlAsync("endpoint", "health")).Code == 0, ok => ok || process.HasExited, "etcd is healthy");
            if (process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with {process.ExitCode}: {server.Output}");
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }
}

using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleet.Testing.Kubernetes;

/// <summary>
/// TEST DOUBLE of a Kubernetes API server (no kube-apiserver can run here): Kestrel on 127.0.0.1 over HTTPS
/// with its own cluster CA, bearer-token authentication, and the real REST semantics of the endpoints Fleet
/// uses — /version; nodes get/list/watch/patch (strategic merge, merge and JSON patch, resourceVersion
/// preconditions); pods list (fieldSelector spec.nodeName), get, delete and the eviction subresource with
/// PodDisruptionBudget 429s; secrets create/get/delete (stringData folded into data); configmaps get
/// (kube-public/cluster-info is there from the start); daemonsets and deployments list; a resourceVersion
/// on every write and watch events for every change. It writes a kubeconfig file, so a coordinator in
/// another process can use it too. Tests seed it and read what happened through its methods.
/// </summary>
public sealed partial class FakeKubeApiServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private readonly List<WatchEvent> _history = [];
    private readonly List<Watcher> _watchers = [];
    private readonly List<RecordedEviction> _evictions = [];
    private readonly List<RecordedPatch> _patches = [];
    private readonly List<string> _deletions = [];
    private readonly List<string> _watchRequests = [];
    private long _resourceVersion = 1000;
    private WebApplication? _app;

    private FakeKubeApiServer(string directory, string version)
    {
        Directory = directory;
        ServerVersion = version;
        (CaCertificate, ServerCertificate) = FakeKubeCertificates.Create();
    }

    /// <summary>The bearer token the kubeconfig carries; any other is answered 401.</summary>
    public string Token { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public string Directory { get; }

    public X509Certificate2 CaCertificate { get; }

    private X509Certificate2 ServerCertificate { get; }

    public Uri Url { get; private set; } = new("https://127.0.0.1");

    /// <summary>The kubeconfig the double wrote: server, CA (certificate-authority-data) and token.</summary>
    public string KubeconfigPath => Path.Join(Directory, "kubeconfig");

    /// <summary>What /version reports as gitVersion, e.g. "v1.28.3".</summary>
    public string ServerVersion { get; set; }

    /// <summary>When true, an evicted pod gets a deletionTimestamp and stays until <see cref="FinishTermination"/> (a pod with a long grace period).</summary>
    public bool KeepEvictedPodsTerminating { get; set; }

    public static async Task<FakeKubeApiServer> StartAsync(string directory, string version = "v1.28.3")
    {
        System.IO.Directory.CreateDirectory(directory);
        var server = new FakeKubeApiServer(directory, version);
        await server.StartKestrelAsync();
        return server;
    }

    private async Task StartKestrelAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1AndHttp2;
            l.UseHttps(ServerCertificate);
        }));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync().DefaultTimeout();
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Url = new Uri($"https://127.0.0.1:{new Uri(address).Port}");
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(CaCertificate.ExportCertificatePem() + "\n"));
        File.WriteAllText(KubeconfigPath, Kubeconfig(ca, withUser: true));
        File.SetUnixFileMode(KubeconfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        lock (_gate)
        {
            PutLocked("configmaps", "kube-public", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "cluster-info" },
                ["data"] = new JsonObject { ["kubeconfig"] = Kubeconfig(ca, withUser: false) },
            });
        }
    }

    /// <summary>A kubeconfig as kubectl writes it; cluster-info's copy has no user, as kubeadm publishes it.</summary>
    private string Kubeconfig(string caData, bool withUser) =>
        $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: {Url.ToString().TrimEnd('/')}
            certificate-authority-data: {caData}
        contexts:
        - name: fleet@fake
          context:
            cluster: fake
            user: {(withUser ? "fleet" : "\"\"")}
        current-context: fleet@fake
        preferences: {"{}"}
        users:{(withUser ? $"\n- name: fleet\n  user:\n    token: {Token}" : " []")}

        """;

    /// <summary>A kubeconfig whose token is wrong: every call is answered 401.</summary>
    public string WriteKubeconfigWithBadToken()
    {
        var path = Path.Join(Directory, "kubeconfig-bad-token");
        File.WriteAllText(path, File.ReadAllText(KubeconfigPath).Replace(Token, "not-the-token", StringComparison.Ordinal));
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            lock (_gate)
            {
                foreach (var watcher in _watchers)
                {
                    watcher.Events.Writer.TryComplete();
                }
            }

            await app.StopAsync().DefaultTimeout();
            await app.DisposeAsync();
        }
    }

    public sealed record RecordedEviction(string Namespace, string Pod, long? GracePeriodSeconds, int StatusCode);

    public sealed record RecordedPatch(string Resource, string Name, string ContentType, string Body, int StatusCode);

    private sealed record WatchEvent(long ResourceVersion, string Resource, string Type, JsonObject Object);

    private sealed record Watcher(string Resource, string? Namespace, Func<JsonObject, bool> Filter, Channel<WatchEvent> Events);
}

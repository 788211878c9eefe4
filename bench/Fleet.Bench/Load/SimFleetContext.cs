using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Fleet.Security;
using Fleet.V1;

namespace Fleet.Bench.Load;

/// <summary>
/// What every simulated agent shares: the coordinator's address, its pinned CA, the heartbeat
/// template, how long a step takes, and the recorder of what happened when.
/// </summary>
internal sealed class SimFleetContext(Uri coordinator, X509Certificate2 ca, TimeSpan stepDuration)
{
    private readonly ConcurrentDictionary<string, bool> _trusted = new(StringComparer.Ordinal);

    public Uri Coordinator { get; } = coordinator;

    public X509Certificate2 Ca { get; } = ca;

    public TimeSpan StepDuration { get; set; } = stepDuration;

    public SimRecorder Recorder { get; } = new();

    /// <summary>
    /// An HTTP/2 handler of one agent: its own TCP connection from its own loopback address, TLS
    /// trusting only the Fleet CA, presenting the agent's certificate when it has one. Settings as
    /// the real agent's (CoordinatorTls), except for the source address.
    /// </summary>
    public SocketsHttpHandler Handler(IPAddress source, X509Certificate2? clientCertificate) => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),
        KeepAlivePingDelay = TimeSpan.FromSeconds(20),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        PooledConnectionLifetime = TimeSpan.FromHours(1),
        ConnectCallback = async (context, ct) =>
        {
            Recorder.Attempt();
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = TrustServer,
            CertificateChainPolicy = FleetCaTrust.Policy(Ca, CertificateRole.Server),
            ClientCertificateContext = clientCertificate is null ? null : SslStreamCertificateContext.Create(clientCertificate, additionalCertificates: null, offline: true),
        },
    };

    /// <summary>
    /// The real agent's check (FleetCaTrust: issued by the pinned CA, for the host dialled), done once
    /// per distinct server certificate: the load generator shares the machine with the coordinator,
    /// so it does not rebuild the same chain ten thousand times.
    /// </summary>
    private bool TrustServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (sender as SslStream)?.TargetHostName is not { Length: > 0 } host)
        {
            return false;
        }

        var key = Convert.ToHexString(certificate.GetCertHash()) + "@" + host;
        if (_trusted.TryGetValue(key, out var known))
        {
            return known;
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return _trusted[key] = FleetCaTrust.ServerProblem(leaf, Ca, host) is null;
    }

    /// <summary>What a small board reports, about the size of a real agent's heartbeat.</summary>
    public static HealthSample HealthTemplate()
    {
        var sample = new HealthSample();
        sample.Checks.Add(new HealthCheck { Name = "memory", Status = HealthStatus.Ok, Reason = "3.1 GiB available of 3.8 GiB (82%)" });
        sample.Checks.Add(new HealthCheck { Name = "load", Status = HealthStatus.Ok, Reason = "5-minute load 0.42 on 4 CPUs" });
        sample.Checks.Add(new HealthCheck { Name = "disk-root", Status = HealthStatus.Ok, Reason = "21.4 GiB free of 29.1 GiB (73%)" });
        sample.Checks.Add(new HealthCheck { Name = "disk-state", Status = HealthStatus.Ok, Reason = "21.4 GiB free of 29.1 GiB (73%)" });
        sample.Checks.Add(new HealthCheck { Name = "kubelet", Status = HealthStatus.Ok, Reason = "kubelet.service active (running)" });
        sample.Checks.Add(new HealthCheck { Name = "cni-plugins", Status = HealthStatus.Ok, Reason = "loopback, portmap, bridge, host-local present" });
        sample.Checks.Add(new HealthCheck { Name = "clock", Status = HealthStatus.Ok, Reason = "offset 3 ms from the coordinator" });
        sample.Checks.Add(new HealthCheck { Name = "certificate", Status = HealthStatus.Ok, Reason = "valid until 2030-01-01, renewal due in 19 days" });
        return sample;
    }

    /// <summary>Facts of a simulated node: two in three amd64, one in three arm64.</summary>
    public static NodeFacts Facts(string name, int index)
    {
        var arm = index % 3 == 2;
        var facts = new NodeFacts
        {
            NodeName = name,
            Hostname = name,
            Arch = arm ? Arch.Arm64 : Arch.Amd64,
            RawMachine = arm ? "aarch64" : "x86_64",
            OsRelease = "Debian GNU/Linux 12 (bookworm)",
            Kernel = arm ? "6.1.0-rpi7-rpi-v8" : "6.1.0-18-amd64",
            BoardModel = arm ? "Raspberry Pi 4 Model B Rev 1.4" : "PowerEdge R640",
            CpuCount = 4,
            MemoryTotalBytes = 4L << 30,
            AgentVersion = "0.1.0-sim",
            KubeletVersion = "v1.12.4",
            KubeadmVersion = "v1.12.4",
            ContainerRuntime = "containerd (/run/containerd/containerd.sock)",
        };
        facts.CniPlugins.AddRange(["bridge", "host-local", "loopback", "portmap"]);
        facts.Labels.Add("role", "worker");
        return facts;
    }
}

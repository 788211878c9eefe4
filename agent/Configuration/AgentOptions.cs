namespace Fleet.Agent.Configuration;

/// <summary>
/// The agent's settings, merged from /etc/fleet/agent.json, then FLEET_* environment variables,
/// then command-line flags (later wins). See <see cref="AgentConfigLoader"/>.
/// </summary>
public sealed class AgentOptions
{
    public const string DefaultConfigPath = "/etc/fleet/agent.json";

    /// <summary>Coordinator agent endpoint, e.g. https://10.0.0.1:7443.</summary>
    public Uri? Coordinator { get; set; }

    /// <summary>Node name; the host name when not set.</summary>
    public string? Name { get; set; }

    /// <summary>Prefix for every path the agent reads or writes.</summary>
    public string Root { get; set; } = "/";

    /// <summary>The agent's own state (node key and certificates, journal), inside <see cref="Root"/>.</summary>
    public string StateDir { get; set; } = "/var/lib/fleet-agent";

    /// <summary>Labels the operator gives the node (role=worker), for selectors.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();

    /// <summary>Heartbeat interval until the coordinator says otherwise.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound of the reconnect backoff.</summary>
    public TimeSpan ReconnectCap { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>CNI plugins that must be present in /opt/cni/bin for the node to be healthy.</summary>
    public IReadOnlyList<string> RequiredCniPlugins { get; set; } = ["loopback", "portmap", "bridge", "host-local"];

    /// <summary>
    /// systemctl, for Systemd steps and the kubelet health check: a bare name is looked up on PATH, an
    /// absolute path is used as given (programs are not under <see cref="Root"/>). The kubelet state is
    /// "unknown" where it cannot be found.
    /// </summary>
    public string SystemctlPath { get; set; } = "systemctl";

    /// <summary>
    /// systemd-run, which starts the upgrade watchdog outside fleet-agent.service (UpgradeAgent steps):
    /// a bare name is looked up on PATH, an absolute path is used as given.
    /// </summary>
    public string SystemdRunPath { get; set; } = "systemd-run";

    /// <summary>kubeadm, for KubeadmJoin and KubeadmUpgrade steps: a bare name is looked up on PATH when a step runs.</summary>
    public string KubeadmPath { get; set; } = "kubeadm";

    /// <summary>etcdctl (API v3), for EtcdSnapshot steps: a bare name is looked up on PATH when a step runs.</summary>
    public string EtcdctlPath { get; set; } = "etcdctl";

    /// <summary>The kubelet's healthz, for WaitKubeletHealthy steps that name none; loopback http:// only.</summary>
    public string KubeletHealthzUrl { get; set; } = "http://127.0.0.1:10248/healthz";

    /// <summary>
    /// First wait between download attempts after a transient failure; it doubles, with jitter, up to
    /// <see cref="DownloadRetryCap"/>. Attempts go on until the step's own timeout, not for a count.
    /// </summary>
    public TimeSpan DownloadRetryBase { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between download attempts.</summary>
    public TimeSpan DownloadRetryCap { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A download that receives nothing for this long is abandoned and retried.</summary>
    public TimeSpan DownloadStallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Size cap of a download when the step sets none.</summary>
    public long DownloadMaxBytes { get; set; } = 1L << 30;

    /// <summary>Join token "id.secret" for `fleet-agent enroll`; a secret: never logged.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// The settings file, when it holds a join token (it must then be 0600): `fleet-agent enroll`
    /// removes the token from it once enrolled, and the running agent warns that it is still there.
    /// </summary>
    public string? TokenInConfigFile { get; set; }

    /// <summary>The coordinator CA's pin, sha256:HEX, for `fleet-agent enroll`.</summary>
    public string? CaPin { get; set; }

    /// <summary>Folders searched for kubelet and kubeadm, inside <see cref="Root"/>.</summary>
    public IReadOnlyList<string> BinaryDirs { get; set; } = ["/usr/bin", "/usr/local/bin"];
}

using System.Net;

namespace Fleet.Coordinator.Hosting;

public sealed class CoordinatorOptions
{
    /// <summary>Where agents connect (gRPC, HTTP/2).</summary>
    public IPEndPoint Listen { get; set; } = new(IPAddress.Any, 7443);

    /// <summary>The coordinator's state: the SQLite database, later the CA.</summary>
    public string DataDir { get; set; } = "/var/lib/fleet-coordinator";

    /// <summary>The control API's unix socket, for fleetctl.</summary>
    public string Socket { get; set; } = "/run/fleet/control.sock";

    /// <summary>Prometheus metrics at /metrics; null turns them off.</summary>
    public IPEndPoint? MetricsListen { get; set; } = new(IPAddress.Loopback, 9464);

    /// <summary>The heartbeat interval the coordinator asks of every agent.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A node is stale after this many missed heartbeats.</summary>
    public int StaleAfterMissed { get; set; } = 3;

    /// <summary>A node is offline after this many missed heartbeats.</summary>
    public int OfflineAfterMissed { get; set; } = 10;

    /// <summary>How often the coordinator sends its clock to each agent.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra names (DNS or IP) in the coordinator's TLS certificate, besides localhost, loopback, the host name and the listen address.</summary>
    public IReadOnlyList<string> TlsNames { get; set; } = [];

    /// <summary>How long a node certificate is valid; agents renew at two thirds of it.</summary>
    public TimeSpan NodeCertificateLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long an admin certificate (fleetctl over TCP) is valid.</summary>
    public TimeSpan AdminCertificateLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Newly enrolled nodes receive no step until `fleetctl nodes approve`.</summary>
    public bool RequireApproval { get; set; }

    /// <summary>Optional TCP control listener (TLS, admin client certificate required); null: the unix socket only.</summary>
    public IPEndPoint? ControlListen { get; set; }

    /// <summary>New connections a single address may open per second on a TLS port before more are dropped, before any TLS work.</summary>
    public int ConnectionsPerSecondPerAddress { get; set; } = 20;

    /// <summary>Enroll calls a single address may make per second; more get ResourceExhausted, before the token is looked at.</summary>
    public int EnrollmentsPerSecondPerAddress { get; set; } = 5;

    /// <summary>The cluster's kubeconfig (--kubeconfig); a copy stored by `fleetctl cluster set` (DATA_DIR/kubeconfig) takes precedence. Null: none.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>How often Fleet applies its node labels (fleet.io/board) and compares kubernetes.io/arch with the agents' arch.</summary>
    public TimeSpan KubernetesSyncInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a drain waits before it retries evictions refused by a PodDisruptionBudget.</summary>
    public TimeSpan EvictionRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>What one node may cost the coordinator: Hello timeout, message and facts sizes, rates.</summary>
    public Agents.AgentLimits AgentLimits { get; set; } = new();

    /// <summary>How often a refused client certificate is logged (once per node per interval), and how many nodes that remembers.</summary>
    public Agents.RefusedIdentityLogOptions RefusedIdentityLog { get; set; } = new();

    /// <summary>Rollout webhooks: where the secrets are, the queue bound, timeouts and retries.</summary>
    public Notifications.NotificationOptions Notifications { get; set; } = new();

    public string DatabasePath => Path.Join(DataDir, "fleet.db");
}

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

    public string DatabasePath => Path.Join(DataDir, "fleet.db");
}

using Fleet.Coordinator.Nodes;
using Fleet.V1;
using Prometheus;

namespace Fleet.Coordinator.Metrics;

/// <summary>
/// The coordinator's Prometheus metrics, in a registry of its own (so several coordinators can live
/// in one test process). Node counts by status and arch are computed from the store at scrape time.
/// </summary>
public sealed class FleetMetrics
{
    private readonly Gauge _nodes;

    public FleetMetrics(INodeStore store, NodeStatusPolicy status)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        AgentsConnected = factory.CreateGauge("fleet_agents_connected", "Agents with an open Connect stream.");
        HeartbeatsReceived = factory.CreateCounter("fleet_heartbeats_received_total", "Heartbeats received from agents.");
        HeartbeatLag = factory.CreateHistogram(
            "fleet_heartbeat_lag_seconds",
            "From a heartbeat's sent_at (the agent's clock) until the coordinator has recorded it; meaningful while clocks agree (see the clock health check).",
            new HistogramConfiguration { Buckets = HeartbeatLagBuckets });
        AgentMessagesRefused = factory.CreateCounter("fleet_agent_messages_refused_total", "Agent calls and messages refused past a bound (docs/security.md), by reason; the node's stream ends.", "reason");
        StepLogLinesDropped = factory.CreateCounter("fleet_step_log_lines_dropped_total", "Step log lines dropped past the per-step bound.");
        _nodes = factory.CreateGauge("fleet_nodes", "Known nodes by status and architecture.", "status", "arch");
        Registry.AddBeforeCollectCallback(async ct =>
        {
            var counts = (await store.ListAsync(ct))
                .GroupBy(n => (Status: status.StatusOf(n.LastSeen).ToName(), Arch: n.Facts.Arch.ToName()))
                .ToDictionary(g => g.Key, g => g.Count());
            foreach (var s in new[] { NodeStatus.Online, NodeStatus.Stale, NodeStatus.Offline })
            {
                foreach (var a in new[] { Arch.Amd64, Arch.Arm64, Arch.Arm })
                {
                    _nodes.WithLabels(s.ToName(), a.ToName()).Set(counts.GetValueOrDefault((s.ToName(), a.ToName())));
                }
            }
        });
    }

    public CollectorRegistry Registry { get; }

    public Gauge AgentsConnected { get; }

    public Counter HeartbeatsReceived { get; }

    /// <summary>By reason: hello-timeout, hello-rate, heartbeat-rate, renewal-rate, invalid-hello, invalid-facts, health-size, log-lines.</summary>
    public Counter AgentMessagesRefused { get; }

    public Counter StepLogLinesDropped { get; }

    /// <summary>Seconds, by bucket: how far behind the coordinator records heartbeats (BENCHMARKS.md calls one later than 1 s late).</summary>
    public Histogram HeartbeatLag { get; }

    public static double[] HeartbeatLagBuckets { get; } = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>Observes one recorded heartbeat; an agent clock ahead of the coordinator's counts as no lag.</summary>
    public void ObserveHeartbeatLag(DateTimeOffset sentAt, DateTimeOffset recordedAt) =>
        HeartbeatLag.Observe(Math.Max(0, (recordedAt - sentAt).TotalSeconds));
}

using System.Collections.Concurrent;
using Fleet.Coordinator.Hosting;

namespace Fleet.Coordinator.Agents;

/// <summary>
/// Per-node rate limits (Hello, heartbeat, RenewCertificate), keyed by the node id of an
/// authenticated certificate: a node cannot spend another node's budget, and the table holds at most
/// one entry per node that said Hello or renewed since the coordinator started (a few hundred bytes each).
/// </summary>
public sealed class NodeRateLimits(AgentLimits limits, CoordinatorOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Buckets> _nodes = new(StringComparer.Ordinal);

    public bool TryHello(string nodeId) => For(nodeId).Hello.TryTake();

    public bool TryHeartbeat(string nodeId) => For(nodeId).Heartbeat.TryTake();

    public bool TryRenewal(string nodeId) => For(nodeId).Renewal.TryTake();

    private Buckets For(string nodeId) => _nodes.GetOrAdd(nodeId, _ => new Buckets(
        new TokenBucket(limits.HelloBurst, limits.HelloRefill, time),
        new TokenBucket(limits.HeartbeatCapacity(options.HeartbeatInterval), options.HeartbeatInterval / 2, time),
        new TokenBucket(limits.RenewalBurst, limits.RenewalRefill, time)));

    private sealed record Buckets(TokenBucket Hello, TokenBucket Heartbeat, TokenBucket Renewal);
}

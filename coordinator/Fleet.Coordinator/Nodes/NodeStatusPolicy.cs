using Fleet.Coordinator.Hosting;
using Fleet.V1;

namespace Fleet.Coordinator.Nodes;

/// <summary>
/// A node's status is derived, never stored: from the time it was last seen against the heartbeat
/// interval. Stale after <see cref="CoordinatorOptions.StaleAfterMissed"/> missed heartbeats,
/// offline after <see cref="CoordinatorOptions.OfflineAfterMissed"/>.
/// </summary>
public sealed class NodeStatusPolicy(CoordinatorOptions options, TimeProvider time)
{
    public NodeStatus StatusOf(DateTimeOffset lastSeen)
    {
        var silent = time.GetUtcNow() - lastSeen;
        return silent > options.HeartbeatInterval * options.OfflineAfterMissed ? NodeStatus.Offline
            : silent > options.HeartbeatInterval * options.StaleAfterMissed ? NodeStatus.Stale
            : NodeStatus.Online;
    }
}

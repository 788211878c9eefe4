using Fleet.V1;

namespace Fleet.Coordinator.Nodes;

/// <summary>Nodes, their latest facts and health. SQLite today; the interface leaves room for PostgreSQL.</summary>
public interface INodeStore
{
    /// <summary>
    /// Records a Hello: creates the node or replaces its facts, only while the node is enrolled under
    /// that name and <paramref name="certificateSerial"/> is one of its certificates, not revoked
    /// (checked in the write's transaction). Throws <see cref="NodeNotEnrolledException"/> or
    /// <see cref="NodeNameConflictException"/>.
    /// </summary>
    Task UpsertHelloAsync(string nodeId, string certificateSerial, NodeFacts facts, DateTimeOffset at, CancellationToken ct);

    /// <summary>Records a heartbeat: the latest health and the time it was seen.</summary>
    Task RecordHeartbeatAsync(string nodeId, HealthSample health, DateTimeOffset at, CancellationToken ct);

    Task<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken ct);

    Task<NodeRecord?> FindByNameAsync(string name, CancellationToken ct);
}

/// <summary>Another node already holds the name this node asked for.</summary>
public sealed class NodeNameConflictException(string name, string existingId)
    : Exception($"node name \"{name}\" already belongs to node id {existingId}")
{
    public string Name { get; } = name;
}

/// <summary>The node is no longer enrolled under that name, or the certificate it connected with is revoked.</summary>
public sealed class NodeNotEnrolledException(string name)
    : Exception($"node \"{name}\" is not enrolled with this certificate any more (removed, or its certificate revoked); enroll it again with a new token")
{
    public string Name { get; } = name;
}

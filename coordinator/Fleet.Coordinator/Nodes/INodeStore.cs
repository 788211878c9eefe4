using Fleet.V1;

namespace Fleet.Coordinator.Nodes;

/// <summary>Nodes, their latest facts and health. SQLite today; the interface leaves room for PostgreSQL.</summary>
public interface INodeStore
{
    /// <summary>Records a Hello: creates the node or replaces its facts. Throws <see cref="NodeNameConflictException"/>.</summary>
    Task UpsertHelloAsync(string nodeId, NodeFacts facts, DateTimeOffset at, CancellationToken ct);

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

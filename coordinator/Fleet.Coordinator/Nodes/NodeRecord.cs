using Fleet.V1;

namespace Fleet.Coordinator.Nodes;

/// <summary>A node as the store keeps it: identity, the latest facts and health, and when it was seen.</summary>
public sealed record NodeRecord(string Id, string Name, NodeFacts Facts, HealthSample? Health, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

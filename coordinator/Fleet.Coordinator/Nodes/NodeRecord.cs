using Fleet.V1;

namespace Fleet.Coordinator.Nodes;

/// <summary>A node as the store keeps it: identity, the latest facts and health, when it was seen, and whether it is approved.</summary>
public sealed record NodeRecord(string Id, string Name, NodeFacts Facts, HealthSample? Health, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, bool Approved = true);

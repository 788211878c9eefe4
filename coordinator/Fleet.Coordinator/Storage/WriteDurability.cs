namespace Fleet.Coordinator.Storage;

/// <summary>How durable a write must be when the power fails right after its commit.</summary>
public enum WriteDurability
{
    /// <summary>Synced at commit (WAL, synchronous=FULL): revocations, token uses, enrollments, rollout transitions, the catalog.</summary>
    Full,

    /// <summary>
    /// Synced at the next checkpoint (synchronous=NORMAL): only what a node says again by itself, its
    /// facts in a Hello and its health in a heartbeat. A power loss can forget the last of those, never
    /// corrupt the database, and the node's next Hello or heartbeat writes them again. The checks made
    /// in the same transaction (enrolled, not revoked) are reads, as strict as ever.
    /// </summary>
    Resent,
}

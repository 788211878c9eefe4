namespace Fleet.Coordinator.Hosting;

/// <summary>The coordinator's log events, source-generated so their properties stay structured.</summary>
internal static partial class CoordinatorLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Node {Node} ({Arch}) connected from {Peer}, agent {AgentVersion}")]
    public static partial void AgentConnected(ILogger logger, string node, string arch, string peer, string agentVersion);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Node {Node} disconnected ({Peer})")]
    public static partial void AgentDisconnected(ILogger logger, string node, string peer);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Node {Node}: the session from {OldPeer} was replaced by a newer one from {NewPeer}")]
    public static partial void SessionReplaced(ILogger logger, string node, string oldPeer, string newPeer);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Rejected a session of node id {NodeId}: {Reason}")]
    public static partial void SessionRejected(ILogger logger, string nodeId, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "fleet-coordinator {Version} listening for agents on {Listen}, control socket {Socket}, metrics {Metrics}, data {DataDir}")]
    public static partial void Started(ILogger logger, string version, string listen, string socket, string metrics, string dataDir);
}

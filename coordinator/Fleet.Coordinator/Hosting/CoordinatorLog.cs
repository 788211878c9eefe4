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

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Refused the client certificate {Subject} from {Peer}: {Reason}")]
    public static partial void IdentityRefused(ILogger logger, string subject, string peer, string reason);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning, Message = "Refused the client certificate {Subject} from {Peer}: {Reason} ({Suppressed} more refusals of this node since its last line; at most one line per node every {IntervalMinutes} min)")]
    public static partial void NodeIdentityRefused(ILogger logger, string subject, string peer, string reason, int suppressed, double intervalMinutes);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Enrolled node {Node} (id {NodeId}) with join token {TokenId} from {Peer}; certificate valid until {NotAfter:u}; awaiting approval: {AwaitingApproval}")]
    public static partial void NodeEnrolled(ILogger logger, string node, string nodeId, string tokenId, string peer, DateTime notAfter, bool awaitingApproval);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Refused an enrollment with join token {TokenId} from {Peer}: {Reason}")]
    public static partial void EnrollmentRefused(ILogger logger, string tokenId, string peer, string reason);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "Renewed the certificate of node {Node}; valid until {NotAfter:u}")]
    public static partial void CertificateRenewed(ILogger logger, string node, DateTime notAfter);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Join token {TokenId} created: {Uses} uses until {ExpiresAt:u}")]
    public static partial void TokenCreated(ILogger logger, string tokenId, int uses, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Join token {TokenId} revoked")]
    public static partial void TokenRevoked(ILogger logger, string tokenId);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Node {Node} removed: {Revoked} certificates revoked")]
    public static partial void NodeRemoved(ILogger logger, string node, int revoked);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Node {Node} approved")]
    public static partial void NodeApproved(ILogger logger, string node);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Admin certificate {Serial} issued to {Admin}; valid until {NotAfter:u}")]
    public static partial void AdminCertificateIssued(ILogger logger, string admin, string serial, DateTime notAfter);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "Admin certificate {Serial} of {Admin} revoked")]
    public static partial void AdminCertificateRevoked(ILogger logger, string admin, string serial);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Agents enroll with CA pin {CaPin}; TLS names {TlsNames}; TCP control listener {ControlListen}; approval required: {RequireApproval}")]
    public static partial void Security(ILogger logger, string caPin, string tlsNames, string controlListen, bool requireApproval);

    [LoggerMessage(EventId = 17, Level = LogLevel.Error, Message = "Rollout {RolloutId} stopped on an internal error")]
    public static partial void RolloutCrashed(ILogger logger, string rolloutId, Exception exception);

    [LoggerMessage(EventId = 18, Level = LogLevel.Information, Message = "Rollout {RolloutId} {Action}: {Recipe} on {Nodes} node(s)")]
    public static partial void RolloutAction(ILogger logger, string rolloutId, string action, string recipe, int nodes);
}

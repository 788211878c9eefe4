namespace Fleet.Coordinator.Kubernetes;

internal static partial class KubernetesLog
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Kubernetes node {Node}: cordoned ({Outcome})")]
    public static partial void Cordoned(ILogger logger, string node, CordonOutcome outcome);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Kubernetes node {Node}: uncordon: {Outcome}")]
    public static partial void Uncordoned(ILogger logger, string node, UncordonOutcome outcome);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Kubernetes node {Node}: evicted {Pod}")]
    public static partial void Evicted(ILogger logger, string node, string pod);

    [LoggerMessage(EventId = 603, Level = LogLevel.Information, Message = "Kubernetes node {Node}: eviction of {Pod} refused, will retry: {Reason}")]
    public static partial void EvictionBlocked(ILogger logger, string node, string pod, string reason);

    [LoggerMessage(EventId = 604, Level = LogLevel.Warning, Message = "Kubernetes node {Node}: deleted {Pod}, whose eviction was still refused at the drain timeout")]
    public static partial void DeletedAfterBlockedEviction(ILogger logger, string node, string pod);

    [LoggerMessage(EventId = 605, Level = LogLevel.Warning, Message = "Kubernetes node {Node}: drain did not complete within {Timeout}; remaining: {Remaining}")]
    public static partial void DrainIncomplete(ILogger logger, string node, TimeSpan timeout, string remaining);

    [LoggerMessage(EventId = 606, Level = LogLevel.Information, Message = "Kubernetes node {Node}: drained ({Evicted} evicted, {Skipped} skipped)")]
    public static partial void Drained(ILogger logger, string node, int evicted, int skipped);

    [LoggerMessage(EventId = 607, Level = LogLevel.Information, Message = "Bootstrap token {TokenId} created, expires {Expires:u}")]
    public static partial void TokenCreated(ILogger logger, string tokenId, DateTimeOffset expires);

    [LoggerMessage(EventId = 608, Level = LogLevel.Information, Message = "Bootstrap token {TokenId} deleted")]
    public static partial void TokenDeleted(ILogger logger, string tokenId);

    [LoggerMessage(EventId = 609, Level = LogLevel.Warning, Message = "Node {FleetNode}: Kubernetes node {KubeNode} is labelled kubernetes.io/arch={KubeArch} but the agent reports {FleetArch}; Fleet does not change that label")]
    public static partial void ArchMismatch(ILogger logger, string fleetNode, string kubeNode, string kubeArch, string fleetArch);

    [LoggerMessage(EventId = 610, Level = LogLevel.Information, Message = "Kubernetes node {KubeNode}: labelled fleet.io/board={Board}")]
    public static partial void BoardLabelled(ILogger logger, string kubeNode, string board);

    [LoggerMessage(EventId = 611, Level = LogLevel.Warning, Message = "Kubernetes node labels not synchronised: {Reason}")]
    public static partial void LabelSyncFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 612, Level = LogLevel.Information, Message = "Kubeconfig stored at {Path} (API server {Server})")]
    public static partial void KubeconfigStored(ILogger logger, string path, string server);

    [LoggerMessage(EventId = 613, Level = LogLevel.Information, Message = "Kubernetes node {Node}: Ready at kubelet {Version}")]
    public static partial void NodeReady(ILogger logger, string node, string version);

    [LoggerMessage(EventId = 614, Level = LogLevel.Information, Message = "Node {FleetNode} mapped to Kubernetes node {KubeNode} by an operator")]
    public static partial void KubeNodeMapped(ILogger logger, string fleetNode, string kubeNode);

    [LoggerMessage(EventId = 615, Level = LogLevel.Information, Message = "Node {FleetNode}: operator mapping removed; it maps to the Kubernetes node of its name")]
    public static partial void KubeNodeUnmapped(ILogger logger, string fleetNode);

    [LoggerMessage(EventId = 616, Level = LogLevel.Warning, Message = "Kubeconfig refused: {Reason}")]
    public static partial void KubeconfigRefused(ILogger logger, string reason);
}

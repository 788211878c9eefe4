namespace Fleet.Coordinator.Kubernetes;

/// <summary>
/// The Kubernetes actions a rollout uses, against the cluster's API server. Each call either does what
/// it says or throws <see cref="KubernetesActionException"/> with a message that names the node and the
/// problem; every outcome is logged by the caller into the rollout log.
/// </summary>
public interface IKubernetesCluster
{
    /// <summary>The API server's version, e.g. "v1.12.0": the control plane's version for skew checks.</summary>
    Task<string> GetServerVersionAsync(CancellationToken ct);

    /// <summary>All nodes as the API server sees them.</summary>
    Task<IReadOnlyList<KubeNode>> ListNodesAsync(CancellationToken ct);

    /// <summary>Marks the node unschedulable and annotates it as cordoned by Fleet. A node an operator already
    /// cordoned is left as it is (and unannotated), so Fleet never uncordons it.</summary>
    Task<CordonOutcome> CordonAsync(string node, CancellationToken ct);

    /// <summary>Evicts the node's pods through the Eviction API (skips DaemonSet-managed and mirror pods, honours
    /// PodDisruptionBudgets by retrying 429s until the timeout). Does not cordon: call <see cref="CordonAsync"/> first.</summary>
    Task<DrainResult> DrainAsync(string node, DrainOptions options, CancellationToken ct);

    /// <summary>Makes the node schedulable again, only when Fleet cordoned it (its annotation is present).</summary>
    Task<UncordonOutcome> UncordonAsync(string node, CancellationToken ct);

    /// <summary>Waits (with a watch) until the node is Ready and its kubelet reports <paramref name="kubeletVersion"/>
    /// (any version when null); throws <see cref="KubernetesActionException"/> when the timeout passes first.</summary>
    Task<KubeNode> WaitReadyAsync(string node, string? kubeletVersion, TimeSpan timeout, CancellationToken ct);

    /// <summary>A bootstrap token Secret in kube-system for one join, with the given time to live.</summary>
    Task<BootstrapToken> CreateBootstrapTokenAsync(TimeSpan ttl, string description, CancellationToken ct);

    /// <summary>Deletes the bootstrap token's Secret; no error when it is already gone.</summary>
    Task DeleteBootstrapTokenAsync(string tokenId, CancellationToken ct);

    /// <summary>"sha256:&lt;hex&gt;" of the cluster CA's SubjectPublicKeyInfo, for `kubeadm join --discovery-token-ca-cert-hash`.</summary>
    Task<string> GetCaCertHashAsync(CancellationToken ct);
}

/// <summary>Gives the cluster to talk to, or null when no kubeconfig is configured.</summary>
public interface IKubernetesClusterProvider
{
    ValueTask<IKubernetesCluster?> GetAsync(CancellationToken ct);
}

/// <summary>A node as the API server reports it.</summary>
/// <param name="Name">metadata.name</param>
/// <param name="KubeletVersion">status.nodeInfo.kubeletVersion, e.g. "v1.12.0"</param>
/// <param name="Ready">the Ready condition is True</param>
/// <param name="ControlPlane">labelled node-role.kubernetes.io/control-plane (or master)</param>
/// <param name="Unschedulable">spec.unschedulable</param>
/// <param name="CordonedByFleet">carries Fleet's cordon annotation</param>
/// <param name="Labels">metadata.labels (kubernetes.io/arch, kubernetes.io/hostname, ...)</param>
public sealed record KubeNode(
    string Name,
    string KubeletVersion,
    bool Ready,
    bool ControlPlane,
    bool Unschedulable,
    bool CordonedByFleet,
    IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>metadata.resourceVersion when read; the precondition of a conditional update. Empty when unknown.</summary>
    public string ResourceVersion { get; init; } = "";
}

public enum CordonOutcome
{
    /// <summary>Fleet cordoned it and annotated it.</summary>
    Cordoned,

    /// <summary>Already cordoned by Fleet (a repeated call after a restart).</summary>
    AlreadyCordonedByFleet,

    /// <summary>Already cordoned by someone else: left alone, and Fleet will not uncordon it.</summary>
    AlreadyCordonedByOperator,
}

public enum UncordonOutcome
{
    Uncordoned,

    /// <summary>Cordoned, but not by Fleet: left cordoned.</summary>
    LeftCordonedByOperator,

    /// <summary>Was not cordoned.</summary>
    NotCordoned,
}

/// <param name="Timeout">how long to keep retrying evictions refused by a PodDisruptionBudget</param>
/// <param name="GracePeriod">passed to each eviction; null keeps each pod's own</param>
/// <param name="DeleteWhenEvictionBlocked">fall back to deleting pods still blocked at the timeout (off by default)</param>
public sealed record DrainOptions(TimeSpan Timeout, TimeSpan? GracePeriod = null, bool DeleteWhenEvictionBlocked = false);

/// <param name="Evicted">"namespace/name" of pods evicted (or deleted)</param>
/// <param name="Skipped">"namespace/name (why)" of DaemonSet-managed and mirror pods left in place</param>
/// <param name="Remaining">"namespace/name: why" of pods that would not leave; empty when the drain completed</param>
public sealed record DrainResult(IReadOnlyList<string> Evicted, IReadOnlyList<string> Skipped, IReadOnlyList<string> Remaining)
{
    public bool Completed => Remaining.Count == 0;
}

/// <summary>A bootstrap token; <see cref="ToString"/> is redacted, <see cref="Secret"/> must never be logged.</summary>
public sealed record BootstrapToken(string Id, string Secret, DateTimeOffset Expires)
{
    /// <summary>"id.secret", as `kubeadm join --token` takes it.</summary>
    public string Value => $"{Id}.{Secret}";

    public override string ToString() => $"{Id}.<redacted>";
}

public sealed class KubernetesActionException(string message, Exception? inner = null) : Exception(message, inner);

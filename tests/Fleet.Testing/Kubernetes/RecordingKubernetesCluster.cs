using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Fleet.Coordinator.Kubernetes;

namespace Fleet.Testing.Kubernetes;

/// <summary>
/// A test double of the Kubernetes actions rollouts use: the nodes live in memory and every call is recorded
/// with its outcome. It keeps the real semantics the engine relies on (Fleet's cordon mark, an operator's
/// cordon left alone, idempotent calls). A node comes back Ready at the version a wait asks for, as a
/// kubelet restarted at the new version would, unless a test tells it to fail.
/// </summary>
public sealed class RecordingKubernetesCluster : IKubernetesCluster, IKubernetesClusterProvider
{
    private readonly ConcurrentDictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _calls = new();
    private int _tokens;

    private sealed class Node
    {
        public required string KubeletVersion { get; set; }

        public bool ControlPlane { get; init; }

        public bool Unschedulable { get; set; }

        public bool CordonedByFleet { get; set; }

        public bool Ready { get; set; } = true;
    }

    public string ServerVersion { get; set; } = "v1.12.0";

    /// <summary>Nodes whose drain leaves a pod behind (as a PodDisruptionBudget would).</summary>
    public ConcurrentDictionary<string, bool> BlockDrainOn { get; } = new(StringComparer.Ordinal);

    /// <summary>Nodes that never become Ready.</summary>
    public ConcurrentDictionary<string, bool> NeverReady { get; } = new(StringComparer.Ordinal);

    /// <summary>Every call, in order: "cordon x: Cordoned", "drain x: completed", ...</summary>
    public IReadOnlyList<string> Calls => [.. _calls];

    public int Live => _nodes.Count;

    public void AddNode(string name, string kubeletVersion, bool controlPlane = false, bool cordonedByOperator = false) =>
        _nodes[name] = new Node { KubeletVersion = kubeletVersion, ControlPlane = controlPlane, Unschedulable = cordonedByOperator };

    public bool IsCordoned(string name) => _nodes[name].Unschedulable;

    public string KubeletVersionOf(string name) => _nodes[name].KubeletVersion;

    public ValueTask<IKubernetesCluster?> GetAsync(CancellationToken ct) => ValueTask.FromResult<IKubernetesCluster?>(this);

    public Task<string> GetServerVersionAsync(CancellationToken ct) => Task.FromResult(ServerVersion);

    public Task<IReadOnlyList<KubeNode>> ListNodesAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<KubeNode>>(_nodes.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => View(n.Key, n.Value)).ToList());

    public Task<CordonOutcome> CordonAsync(string node, CancellationToken ct)
    {
        var n = Find(node);
        var outcome = n.CordonedByFleet ? CordonOutcome.AlreadyCordonedByFleet
            : n.Unschedulable ? CordonOutcome.AlreadyCordonedByOperator
            : CordonOutcome.Cordoned;
        if (outcome == CordonOutcome.Cordoned)
        {
            n.Unschedulable = true;
            n.CordonedByFleet = true;
        }

        return Record($"cordon {node}: {outcome}", outcome);
    }

    public Task<DrainResult> DrainAsync(string node, DrainOptions options, CancellationToken ct)
    {
        Find(node);
        var result = BlockDrainOn.ContainsKey(node)
            ? new DrainResult([$"default/web-{node}"], ["kube-system/kube-proxy-x (DaemonSet)"], [$"default/db-{node}: a PodDisruptionBudget allows no disruption"])
            : new DrainResult([$"default/web-{node}"], ["kube-system/kube-proxy-x (DaemonSet)"], []);
        return Record($"drain {node}: {(result.Completed ? "completed" : "blocked")}", result);
    }

    public Task<UncordonOutcome> UncordonAsync(string node, CancellationToken ct)
    {
        var n = Find(node);
        var outcome = n.CordonedByFleet ? UncordonOutcome.Uncordoned
            : n.Unschedulable ? UncordonOutcome.LeftCordonedByOperator
            : UncordonOutcome.NotCordoned;
        if (outcome == UncordonOutcome.Uncordoned)
        {
            n.Unschedulable = false;
            n.CordonedByFleet = false;
        }

        return Record($"uncordon {node}: {outcome}", outcome);
    }

    public Task<KubeNode> WaitReadyAsync(string node, string? kubeletVersion, TimeSpan timeout, CancellationToken ct)
    {
        var n = Find(node);
        if (NeverReady.ContainsKey(node))
        {
            _calls.Enqueue($"wait-ready {node}: timed out");
            throw new KubernetesActionException($"node {node} did not become Ready{(kubeletVersion is null ? "" : $" at {kubeletVersion}")} within {timeout.TotalSeconds:0} s");
        }

        n.KubeletVersion = kubeletVersion ?? n.KubeletVersion;
        n.Ready = true;
        return Record($"wait-ready {node}: Ready at {n.KubeletVersion}", View(node, n));
    }

    public Task<BootstrapToken> CreateBootstrapTokenAsync(TimeSpan ttl, string description, CancellationToken ct)
    {
        var id = $"fleet{Interlocked.Increment(ref _tokens) % 10}";
        var token = new BootstrapToken(id, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), DateTimeOffset.UtcNow + ttl);
        return Record($"create-token {id}", token);
    }

    public Task DeleteBootstrapTokenAsync(string tokenId, CancellationToken ct) => Record($"delete-token {tokenId}", true);

    public Task<string> GetCaCertHashAsync(CancellationToken ct) =>
        Task.FromResult("sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("recording cluster CA"))));

    private Node Find(string node) =>
        _nodes.TryGetValue(node, out var n) ? n : throw new KubernetesActionException($"nodes \"{node}\" not found");

    private Task<T> Record<T>(string call, T result)
    {
        _calls.Enqueue(call);
        return Task.FromResult(result);
    }

    private static KubeNode View(string name, Node n) => new(
        name,
        n.KubeletVersion,
        n.Ready,
        n.ControlPlane,
        n.Unschedulable,
        n.CordonedByFleet,
        new Dictionary<string, string> { ["kubernetes.io/hostname"] = name });
}

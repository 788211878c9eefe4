using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>
/// <see cref="IKubernetesCluster"/> against a real API server through KubernetesClient. Cordon and uncordon
/// carry the node's resourceVersion as a precondition, so a concurrent change by an operator is never
/// overwritten: the node is read again and the decision made again.
/// </summary>
public sealed partial class KubernetesClientCluster : IKubernetesCluster, IDisposable
{
    private const int ConflictRetries = 5;
    private readonly k8s.Kubernetes _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public KubernetesClientCluster(KubernetesClientConfiguration config, TimeProvider time, ILogger logger, TimeSpan? evictionRetryInterval = null)
    {
        _client = new k8s.Kubernetes(config);
        _time = time;
        _logger = logger;
        Server = config.Host;
        EvictionRetryInterval = evictionRetryInterval ?? TimeSpan.FromSeconds(2);
    }

    /// <summary>The API server's URL, from the kubeconfig's current context.</summary>
    public string Server { get; }

    /// <summary>How long a drain waits before it tries again the evictions a PodDisruptionBudget refused.</summary>
    public TimeSpan EvictionRetryInterval { get; }

    public async Task<string> GetServerVersionAsync(CancellationToken ct)
    {
        var version = await Api("reading the API server's version", () => _client.Version.GetCodeAsync(ct));
        return version.GitVersion;
    }

    public async Task<IReadOnlyList<KubeNode>> ListNodesAsync(CancellationToken ct) =>
        (await ListNodeObjectsAsync(ct)).Select(ToKubeNode).ToList();

    /// <summary>The nodes as the API returns them (labels, taints, conditions): for the audit and the label sync.</summary>
    public async Task<IList<V1Node>> ListNodeObjectsAsync(CancellationToken ct) =>
        (await Api("listing nodes", () => _client.CoreV1.ListNodeAsync(cancellationToken: ct))).Items;

    public async Task<IList<V1DaemonSet>> ListDaemonSetsAsync(CancellationToken ct) =>
        (await Api("listing DaemonSets", () => _client.AppsV1.ListDaemonSetForAllNamespacesAsync(cancellationToken: ct))).Items;

    public async Task<IList<V1Deployment>> ListDeploymentsAsync(CancellationToken ct) =>
        (await Api("listing Deployments", () => _client.AppsV1.ListDeploymentForAllNamespacesAsync(cancellationToken: ct))).Items;

    /// <summary>Sets one label on a node (a strategic merge patch of metadata.labels only).</summary>
    public Task SetNodeLabelAsync(string node, string key, string value, CancellationToken ct)
    {
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [key] = value } } };
        return Api($"labelling node {node}", () => _client.CoreV1.PatchNodeAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch), node, cancellationToken: ct));
    }

    public async Task<CordonOutcome> CordonAsync(string node, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = ToKubeNode(await ReadNodeAsync(node, ct));
            if (current.Unschedulable)
            {
                var outcome = current.CordonedByFleet ? CordonOutcome.AlreadyCordonedByFleet : CordonOutcome.AlreadyCordonedByOperator;
                KubernetesLog.Cordoned(_logger, node, outcome);
                return outcome;
            }

            // The resourceVersion makes it a conditional update: 409 Conflict when the node changed since it was read.
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["resourceVersion"] = current.ResourceVersion,
                    ["annotations"] = new JsonObject { [KubeLabels.CordonedBy] = KubeLabels.CordonedByValue },
                },
                ["spec"] = new JsonObject { ["unschedulable"] = true },
            };
            try
            {
                await _client.CoreV1.PatchNodeAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch), node, cancellationToken: ct);
                KubernetesLog.Cordoned(_logger, node, CordonOutcome.Cordoned);
                return CordonOutcome.Cordoned;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict && attempt < ConflictRetries)
            {
                // Changed meanwhile (perhaps cordoned by an operator): decide again on the fresh node.
            }
            catch (HttpOperationException ex)
            {
                throw new KubernetesActionException($"cordoning node {node}: {Describe(ex)}", ex);
            }
            catch (HttpRequestException ex)
            {
                throw Unreachable($"cordoning node {node}", ex);
            }
        }
    }

    public async Task<UncordonOutcome> UncordonAsync(string node, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var raw = await ReadNodeAsync(node, ct);
            var current = ToKubeNode(raw);
            if (!current.CordonedByFleet)
            {
                var outcome = current.Unschedulable ? UncordonOutcome.LeftCordonedByOperator : UncordonOutcome.NotCordoned;
                KubernetesLog.Uncordoned(_logger, node, outcome);
                return outcome;
            }

            // A JSON patch whose first operation tests the resourceVersion: it applies to exactly the node that was read.
            var ops = new JsonArray
            {
                new JsonObject { ["op"] = "test", ["path"] = "/metadata/resourceVersion", ["value"] = current.ResourceVersion },
                new JsonObject { ["op"] = "remove", ["path"] = "/metadata/annotations/" + KubeLabels.CordonedBy.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal) },
            };
            if (current.Unschedulable)
            {
                ops.Add(new JsonObject { ["op"] = "replace", ["path"] = "/spec/unschedulable", ["value"] = false });
            }

            try
            {
                await _client.CoreV1.PatchNodeAsync(new V1Patch(ops.ToJsonString(), V1Patch.PatchType.JsonPatch), node, cancellationToken: ct);
                var outcome = current.Unschedulable ? UncordonOutcome.Uncordoned : UncordonOutcome.NotCordoned;
                KubernetesLog.Uncordoned(_logger, node, outcome);
                return outcome;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity && attempt < ConflictRetries)
            {
                // The test failed: the node changed since it was read. Decide again.
            }
            catch (HttpOperationException ex)
            {
                throw new KubernetesActionException($"uncordoning node {node}: {Describe(ex)}", ex);
            }
            catch (HttpRequestException ex)
            {
                throw Unreachable($"uncordoning node {node}", ex);
            }
        }
    }

    public async Task<BootstrapToken> CreateBootstrapTokenAsync(TimeSpan ttl, string description, CancellationToken ct)
    {
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "a bootstrap token's time to live must be positive");
        }

        for (var attempt = 1; ; attempt++)
        {
            // Whole seconds: the expiration is RFC 3339 without fractions.
            var now = _time.GetUtcNow();
            var token = BootstrapTokenSecret.NewToken(new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero) + ttl);
            try
            {
                await _client.CoreV1.CreateNamespacedSecretAsync(BootstrapTokenSecret.For(token, description), BootstrapTokenSecret.Namespace, cancellationToken: ct);
                KubernetesLog.TokenCreated(_logger, token.Id, token.Expires);
                return token;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict && attempt < 3)
            {
                // That id is taken: draw another.
            }
            catch (HttpOperationException ex)
            {
                throw new KubernetesActionException($"creating a bootstrap token: {Describe(ex)}", ex);
            }
            catch (HttpRequestException ex)
            {
                throw Unreachable("creating a bootstrap token", ex);
            }
        }
    }

    public async Task DeleteBootstrapTokenAsync(string tokenId, CancellationToken ct)
    {
        if (!BootstrapTokenSecret.IsValidId(tokenId))
        {
            throw new KubernetesActionException($"\"{tokenId}\" is not a bootstrap token id (6 characters a-z, 0-9)");
        }

        try
        {
            await _client.CoreV1.DeleteNamespacedSecretAsync(BootstrapTokenSecret.NameOf(tokenId), BootstrapTokenSecret.Namespace, cancellationToken: ct);
            KubernetesLog.TokenDeleted(_logger, tokenId);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone (expired and cleaned up by the token cleaner, or deleted before).
        }
        catch (HttpOperationException ex)
        {
            throw new KubernetesActionException($"deleting bootstrap token {tokenId}: {Describe(ex)}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable($"deleting bootstrap token {tokenId}", ex);
        }
    }

    /// <summary>
    /// From the CA in kube-public/cluster-info: the very document `kubeadm join` fetches and checks against
    /// this hash, whatever CA the coordinator's own kubeconfig trusts (it may reach the API server through
    /// a proxy or a load balancer with another certificate).
    /// </summary>
    public async Task<string> GetCaCertHashAsync(CancellationToken ct)
    {
        const string what = "reading the cluster CA from kube-public/cluster-info";
        V1ConfigMap info;
        try
        {
            info = await _client.CoreV1.ReadNamespacedConfigMapAsync("cluster-info", "kube-public", cancellationToken: ct);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new KubernetesActionException($"{what}: the ConfigMap does not exist (kubeadm init creates it; a token join needs it)", ex);
        }
        catch (HttpOperationException ex)
        {
            throw new KubernetesActionException($"{what}: {Describe(ex)}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(what, ex);
        }

        if (info.Data is null || !info.Data.TryGetValue("kubeconfig", out var kubeconfig))
        {
            throw new KubernetesActionException($"{what}: it has no \"kubeconfig\" key");
        }

        try
        {
            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(kubeconfig));
            var config = await KubernetesClientConfiguration.LoadKubeConfigAsync(stream);
            var data = config.Clusters?.FirstOrDefault()?.ClusterEndpoint?.CertificateAuthorityData;
            if (string.IsNullOrEmpty(data))
            {
                throw new KubernetesActionException($"{what}: its kubeconfig has no certificate-authority-data");
            }

            return CaCertHash.OfCertificateData(Convert.FromBase64String(data));
        }
        catch (Exception ex) when (ex is FormatException or System.Security.Cryptography.CryptographicException or YamlDotNet.Core.YamlException)
        {
            throw new KubernetesActionException($"{what}: its CA certificate cannot be read: {ex.Message}", ex);
        }
    }

    public void Dispose() => _client.Dispose();

    internal static KubeNode ToKubeNode(V1Node node)
    {
        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        var annotations = node.Metadata?.Annotations ?? new Dictionary<string, string>();
        return new KubeNode(
            node.Metadata?.Name ?? "",
            node.Status?.NodeInfo?.KubeletVersion ?? "",
            node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true,
            labels.ContainsKey(KubeLabels.ControlPlane) || labels.ContainsKey(KubeLabels.Master),
            node.Spec?.Unschedulable == true,
            annotations.TryGetValue(KubeLabels.CordonedBy, out var by) && by == KubeLabels.CordonedByValue,
            new Dictionary<string, string>(labels))
        {
            ResourceVersion = node.Metadata?.ResourceVersion ?? "",
        };
    }

    private async Task<V1Node> ReadNodeAsync(string node, CancellationToken ct)
    {
        try
        {
            return await _client.CoreV1.ReadNodeAsync(node, cancellationToken: ct);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new KubernetesActionException($"node {node}: the API server has no node of that name", ex);
        }
        catch (HttpOperationException ex)
        {
            throw new KubernetesActionException($"reading node {node}: {Describe(ex)}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable($"reading node {node}", ex);
        }
    }

    private async Task<T> Api<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (HttpOperationException ex)
        {
            throw new KubernetesActionException($"{what}: {Describe(ex)}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(what, ex);
        }
    }

    private KubernetesActionException Unreachable(string what, HttpRequestException ex) =>
        new($"{what}: the Kubernetes API server {Server} is unreachable: {ex.GetBaseException().Message}", ex);

    /// <summary>"403 Forbidden: nodes "x" is forbidden: ..." from the Status the API server answered with.</summary>
    internal static string Describe(HttpOperationException ex)
    {
        var code = ex.Response.StatusCode;
        var message = StatusMessage(ex.Response.Content);
        var why = code == HttpStatusCode.Unauthorized ? " (the kubeconfig's credentials were refused)" : "";
        return $"the API server answered {(int)code} {code}{why}{(message is null ? "" : ": " + message)}";
    }

    internal static string? StatusMessage(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(content);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
        }
        catch (JsonException)
        {
            return content.Length > 200 ? content[..200] : content;
        }
    }
}

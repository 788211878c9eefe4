using System.Text.Json.Nodes;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;
using static Fleet.Testing.Kubernetes.RealKubeClients;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>
/// Debian's kubectl 1.20.2, a client nobody here wrote, as a real process against the API server double: discovery,
/// get, cordon, uncordon and drain with a PodDisruptionBudget behave as against a real API server.
/// </summary>
public sealed class KubectlAgainstDoubleTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web" };
    private readonly TempDir _dir = new();
    private FakeKubeApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(_dir.Combine("api"));
        _api.AddNode("worker-1", kubeletVersion: "v1.28.3");
        _api.AddNode("pi-1", arch: "arm64", kubeletVersion: "v1.28.3", ready: false);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Version_ReadsTheServerVersion()
    {
        var run = await KubectlAsync(_api, "version", "-o", "json");

        Assert.True(run.Code == 0, Describe(run));
        var version = JsonNode.Parse(run.Stdout)!;
        Assert.Equal("v1.20.2", (string?)version["clientVersion"]!["gitVersion"]);
        Assert.Equal("v1.28.3", (string?)version["serverVersion"]!["gitVersion"]);
    }

    [Fact]
    public async Task GetNodes_PrintsTheServersTable()
    {
        var run = await KubectlAsync(_api, "get", "nodes");

        Assert.True(run.Code == 0, Describe(run));
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "STATUS", "ROLES", "AGE", "VERSION"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["pi-1", "NotReady", "<none>"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3]);
        Assert.Equal(["worker-1", "Ready", "<none>"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3]);
        Assert.EndsWith("v1.28.3", lines[2], StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public async Task GetNodes_Wide_ShowsTheNodeInfoColumns_AndACordonedNodeIsSchedulingDisabled()
    {
        _api.CordonAsOperator("worker-1");

        var run = await KubectlAsync(_api, "get", "node", "worker-1", "-o", "wide");

        Assert.True(run.Code == 0, Describe(run));
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.Contains("KERNEL-VERSION", lines[0], StringComparison.Ordinal);
        Assert.Equal(["worker-1", "Ready,SchedulingDisabled", "<none>"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3]);
        Assert.Contains("Debian GNU/Linux 12 (bookworm)", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("containerd://1.6.20", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetNodes_Json_IsTheList()
    {
        var run = await KubectlAsync(_api, "get", "nodes", "-o", "json");

        Assert.True(run.Code == 0, Describe(run));
        var list = JsonNode.Parse(run.Stdout)!;
        Assert.Equal("List", (string?)list["kind"]);
        Assert.Equal(["pi-1", "worker-1"], list["items"]!.AsArray().Select(n => (string)n!["metadata"]!["name"]!));
        Assert.Equal("arm64", (string?)list["items"]![0]!["status"]!["nodeInfo"]!["architecture"]);
    }

    [Fact]
    public async Task Cordon_ThenUncordon_TogglesUnschedulable_WithStrategicMergePatches()
    {
        var cordon = await KubectlAsync(_api, "cordon", "worker-1");
        Assert.True(cordon.Code == 0, Describe(cordon));
        Has(cordon, "node/worker-1 cordoned");
        Assert.True((bool?)_api.Node("worker-1")!["spec"]!["unschedulable"]);

        var again = await KubectlAsync(_api, "cordon", "worker-1");
        Assert.True(again.Code == 0, Describe(again));
        Has(again, "node/worker-1 already cordoned");

        var uncordon = await KubectlAsync(_api, "uncordon", "worker-1");
        Assert.True(uncordon.Code == 0, Describe(uncordon));
        Has(uncordon, "node/worker-1 uncordoned");
        Assert.NotEqual(true, (bool?)_api.Node("worker-1")!["spec"]!["unschedulable"]);
        Assert.All(_api.Patches, p => Assert.Equal(("nodes", "application/strategic-merge-patch+json", 200), (p.Resource, p.ContentType, p.StatusCode)));
        Assert.Equal(2, _api.Patches.Count); // "already cordoned" is decided from a GET, without a patch
    }

    [Fact]
    public async Task Drain_WaitsOnABudget_RetriesEvictions_AndSucceedsOnceTheBudgetAllows_SkippingDaemonSetPods()
    {
        _api.AddPod("default", "web-1", "worker-1", Web, ownerKind: "ReplicaSet");
        _api.AddPod("default", "api-1", "worker-1", ownerKind: "ReplicaSet");
        _api.AddDaemonSet("kube-system", "kube-proxy", new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "kube-proxy", ["image"] = "registry.invalid/kube-proxy:1" }) });
        _api.AddPod("kube-system", "kube-proxy-x1", "worker-1", ownerKind: "DaemonSet", ownerName: "kube-proxy");
        _api.AddPod("default", "web-2", "pi-1", Web, ownerKind: "ReplicaSet");
        _api.AddPodDisruptionBudget("default", "web", Web, disruptionsAllowed: 0);

        var drain = KubectlAsync(_api, _api.KubeconfigPath, RunTimeout, "drain", "worker-1", "--ignore-daemonsets", "--timeout=50s");
        await Eventually.Until(() => _api.Evictions.Any(e => e.Pod == "web-1" && e.StatusCode == 429) || drain.IsCompleted, "kubectl's eviction of web-1 was refused by the budget");
        _api.SetDisruptionsAllowed("default", "web", 1);
        var run = await drain;

        Assert.True(run.Code == 0, Describe(run));
        Has(run, "node/worker-1 cordoned");
        Has(run, "WARNING: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-x1");
        Has(run, "error when evicting pods/\"web-1\" -n \"default\" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.");
        Has(run, "pod/web-1 evicted");
        Has(run, "node/worker-1 evicted"); // kubectl 1.20's closing line (later versions say "drained")
        Assert.Equal(["kube-system/kube-proxy-x1"], _api.PodsOn("worker-1"));
        Assert.NotNull(_api.Pod("default", "web-2"));
        Assert.DoesNotContain(_api.Evictions, e => e.Pod is "kube-proxy-x1" or "web-2");
        Assert.Equal(429, _api.Evictions.First(e => e.Pod == "web-1").StatusCode);
        Assert.Equal(201, _api.Evictions.Last(e => e.Pod == "web-1").StatusCode);
        Assert.True((bool?)_api.Node("worker-1")!["spec"]!["unschedulable"]);
    }

    [Fact]
    public async Task Drain_UnderABudgetThatNeverAllows_TimesOutWithKubectlsOwnMessage_AndKeepsThePod()
    {
        _api.AddPod("default", "web-1", "worker-1", Web, ownerKind: "ReplicaSet");
        _api.AddPodDisruptionBudget("default", "web", Web, disruptionsAllowed: 0);

        var run = await KubectlAsync(_api, "drain", "worker-1", "--ignore-daemonsets", "--timeout=2s");

        Assert.True(run.Code != 0, Describe(run));
        Has(run, "error when evicting pods/\"web-1\" -n \"default\": global timeout reached: 2s");
        Assert.NotNull(_api.Pod("default", "web-1"));
        Assert.All(_api.Evictions, e => Assert.Equal(429, e.StatusCode));
    }

    [Fact]
    public async Task Drain_ADaemonSetPodWhoseDaemonSetIsGone_IsRefused_AsTheRealServerMakesKubectlDo()
    {
        _api.AddPod("kube-system", "orphan-x1", "worker-1", ownerKind: "DaemonSet", ownerName: "deleted-ds");

        var run = await KubectlAsync(_api, "drain", "worker-1", "--ignore-daemonsets", "--timeout=10s");

        Assert.True(run.Code != 0, Describe(run));
        Has(run, "cannot delete daemonsets.apps \"deleted-ds\" not found: kube-system/orphan-x1");
        Assert.Empty(_api.Evictions);
    }

    [Fact]
    public async Task BadToken_IsUnauthorized()
    {
        var run = await KubectlAsync(_api, _api.WriteKubeconfigWithBadToken(), RunTimeout, "get", "nodes");

        Assert.True(run.Code != 0, Describe(run));
        Has(run, "You must be logged in to the server (Unauthorized)");
    }

    [Fact]
    public async Task AResourceTheDoubleDoesNotServe_IsUnknownToDiscovery()
    {
        var run = await KubectlAsync(_api, "get", "services");

        Assert.True(run.Code != 0, Describe(run));
        Has(run, "the server doesn't have a resource type \"services\"");
    }

    [Fact]
    public async Task CordonOfAMissingNode_IsNotFound()
    {
        var run = await KubectlAsync(_api, "cordon", "ghost");

        Assert.True(run.Code != 0, Describe(run));
        Has(run, "nodes \"ghost\" not found");
        Assert.Empty(_api.Patches);
    }

    private static void Has(ProcessOutput run, string text) =>
        Assert.True(run.Output.Contains(text, StringComparison.Ordinal), $"expected \"{text}\" in the output of kubectl, {Describe(run)}");
}

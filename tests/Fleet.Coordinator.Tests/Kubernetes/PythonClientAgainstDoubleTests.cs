using System.Text.Json.Nodes;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;
using static Fleet.Testing.Kubernetes.RealKubeClients;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>
/// Debian's official Python client (python3-kubernetes 22.6), a client nobody here wrote and strict about object
/// shapes, as a real process against the API server double: it lists and patches nodes and creates Evictions.
/// Each script prints one JSON line, which the test reads.
/// </summary>
public sealed class PythonClientAgainstDoubleTests : IAsyncLifetime
{
    private const string Prelude = """
        import json, sys
        from kubernetes import client, config
        from kubernetes.client.rest import ApiException
        config.load_kube_config(config_file=sys.argv[1])
        api = client.ApiClient()
        v1 = client.CoreV1Api(api)
        def failure(e):
            body = json.loads(e.body)
            return {"status": e.status, "reason": body.get("reason"), "message": body.get("message"), "causes": [c.get("reason") for c in (body.get("details") or {}).get("causes", [])]}

        """;

    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web" };
    private readonly TempDir _dir = new();
    private FakeKubeApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(_dir.Combine("api"));
        _api.AddNode("worker-1", taints: ("dedicated", "fleet", "NoSchedule"));
        _api.AddNode("pi-1", arch: "arm64", ready: false, labels: new Dictionary<string, string> { ["node-role.kubernetes.io/worker"] = "" });
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<JsonNode> RunAsync(string script, string? kubeconfig = null)
    {
        var run = await PythonAsync(kubeconfig ?? _api.KubeconfigPath, Prelude + script);
        Assert.True(run.Code == 0, $"the Python client's script failed, {Describe(run)}");
        var last = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        Assert.True(last is not null, $"the script printed nothing, {Describe(run)}");
        return JsonNode.Parse(last)!;
    }

    [Fact]
    public async Task ListNodes_EveryNodeDeserializesIntoTheClientsModels()
    {
        var result = await RunAsync("""
            nodes = v1.list_node().items
            print(json.dumps([{
                "name": n.metadata.name, "arch": n.status.node_info.architecture, "bootID": n.status.node_info.boot_id,
                "kubelet": n.status.node_info.kubelet_version, "ready": [c.status for c in n.status.conditions if c.type == "Ready"][0],
                "taints": [t.key + "=" + t.value + ":" + t.effect for t in (n.spec.taints or [])],
                "created": n.metadata.creation_timestamp.year > 2000} for n in nodes]))
            """);

        var nodes = result.AsArray();
        Assert.Equal(["pi-1", "worker-1"], nodes.Select(n => (string)n!["name"]!));
        Assert.Equal(["arm64", "amd64"], nodes.Select(n => (string)n!["arch"]!));
        Assert.Equal(["False", "True"], nodes.Select(n => (string)n!["ready"]!));
        Assert.Equal((string?)_api.Node("worker-1")!["status"]!["nodeInfo"]!["bootID"], (string?)nodes[1]!["bootID"]);
        Assert.Equal(["dedicated=fleet:NoSchedule"], nodes[1]!["taints"]!.AsArray().Select(t => (string)t!));
        Assert.All(nodes, n => Assert.True((bool)n!["created"]!));
    }

    [Fact]
    public async Task ListPodsAndBudgets_DeserializeIntoTheClientsModels()
    {
        _api.AddPod("default", "web-1", "worker-1", Web, ownerKind: "ReplicaSet");
        _api.AddPod("default", "web-2", "pi-1", Web, ownerKind: "ReplicaSet");
        _api.AddPodDisruptionBudget("default", "web", Web, disruptionsAllowed: 1);

        var result = await RunAsync("""
            pods = v1.list_pod_for_all_namespaces(field_selector="spec.nodeName=worker-1").items
            pdbs = client.PolicyV1Api(api).list_namespaced_pod_disruption_budget("default").items
            print(json.dumps({"pods": [p.metadata.namespace + "/" + p.metadata.name + " " + p.metadata.owner_references[0].kind for p in pods],
                              "budgets": [b.metadata.name + " " + str(b.status.disruptions_allowed) for b in pdbs]}))
            """);

        Assert.Equal(["default/web-1 ReplicaSet"], result["pods"]!.AsArray().Select(p => (string)p!));
        Assert.Equal(["web 1"], result["budgets"]!.AsArray().Select(p => (string)p!));
    }

    [Fact]
    public async Task PatchNode_StrategicMergeThenMergePatch_SetsAndRemovesLabelsAndUnschedulable()
    {
        var result = await RunAsync("""
            cordoned = v1.patch_node("worker-1", {"metadata": {"labels": {"fleet.example/pool": "blue"}}, "spec": {"unschedulable": True}})
            api.set_default_header("Content-Type", "application/merge-patch+json")
            restored = v1.patch_node("worker-1", {"metadata": {"labels": {"fleet.example/pool": None}}, "spec": {"unschedulable": None}})
            print(json.dumps({"cordoned": [cordoned.spec.unschedulable, cordoned.metadata.labels.get("fleet.example/pool"), cordoned.metadata.labels.get("kubernetes.io/arch")],
                              "restored": [restored.spec.unschedulable, restored.metadata.labels.get("fleet.example/pool"), restored.metadata.labels.get("kubernetes.io/arch")]}))
            """);

        Assert.Equal("[true,\"blue\",\"amd64\"]", result["cordoned"]!.ToJsonString());
        Assert.Equal("[null,null,\"amd64\"]", result["restored"]!.ToJsonString());
        Assert.Equal(
            [("application/strategic-merge-patch+json", 200), ("application/merge-patch+json", 200)],
            _api.Patches.Select(p => (p.ContentType, p.StatusCode)));
        var node = _api.Node("worker-1")!;
        Assert.Null(node["spec"]!["unschedulable"]);
        Assert.Null(node["metadata"]!["labels"]!["fleet.example/pool"]);
    }

    [Fact]
    public async Task PatchNode_WithAStaleResourceVersion_Is409_AndAFailedJsonPatchTest_Is422_NothingChanges()
    {
        var before = _api.Node("worker-1")!.ToJsonString();

        var result = await RunAsync("""
            out = {}
            try:
                v1.patch_node("worker-1", {"metadata": {"resourceVersion": "1"}, "spec": {"unschedulable": True}})
            except ApiException as e:
                out["stale"] = failure(e)
            try:
                v1.patch_node("worker-1", [{"op": "test", "path": "/spec/unschedulable", "value": True}, {"op": "remove", "path": "/metadata/labels"}])
            except ApiException as e:
                out["test"] = failure(e)
            try:
                v1.patch_node("ghost", {"spec": {"unschedulable": True}})
            except ApiException as e:
                out["missing"] = failure(e)
            print(json.dumps(out))
            """);

        Assert.Equal((409, "Conflict"), ((int)result["stale"]!["status"]!, (string?)result["stale"]!["reason"]));
        Assert.Equal((422, "Invalid"), ((int)result["test"]!["status"]!, (string?)result["test"]!["reason"]));
        Assert.Equal((404, "NotFound"), ((int)result["missing"]!["status"]!, (string?)result["missing"]!["reason"]));
        Assert.Equal(before, _api.Node("worker-1")!.ToJsonString());
    }

    [Fact]
    public async Task CreateEviction_Is201_ThenUnderAnExhaustedBudget429_AndAMissingPod404()
    {
        _api.AddPod("default", "web-1", "worker-1", Web, ownerKind: "ReplicaSet");
        _api.AddPod("default", "web-2", "worker-1", Web, ownerKind: "ReplicaSet");
        _api.AddPodDisruptionBudget("default", "web", Web, disruptionsAllowed: 1);

        var result = await RunAsync("""
            def evict(name):
                body = client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace="default"), delete_options=client.V1DeleteOptions(grace_period_seconds=10))
                try:
                    _, status, _ = v1.create_namespaced_pod_eviction_with_http_info(name, "default", body)
                    return {"status": status}
                except ApiException as e:
                    return failure(e)
            print(json.dumps({"first": evict("web-1"), "second": evict("web-2"), "missing": evict("ghost")}))
            """);

        Assert.Equal(201, (int)result["first"]!["status"]!);
        Assert.Equal((429, "TooManyRequests"), ((int)result["second"]!["status"]!, (string?)result["second"]!["reason"]));
        Assert.Equal(["DisruptionBudget"], result["second"]!["causes"]!.AsArray().Select(c => (string)c!));
        Assert.Equal((404, "NotFound"), ((int)result["missing"]!["status"]!, (string?)result["missing"]!["reason"]));
        Assert.Null(_api.Pod("default", "web-1"));
        Assert.NotNull(_api.Pod("default", "web-2"));
        Assert.Equal([("web-1", 10L, 201), ("web-2", 10L, 429), ("ghost", 10L, 404)], _api.Evictions.Select(e => (e.Pod, e.GracePeriodSeconds ?? 0, e.StatusCode)));
    }

    [Fact]
    public async Task BadToken_IsUnauthorized()
    {
        var result = await RunAsync("""
            try:
                v1.list_node()
                print(json.dumps({"status": 200}))
            except ApiException as e:
                print(json.dumps(failure(e)))
            """, _api.WriteKubeconfigWithBadToken());

        Assert.Equal((401, "Unauthorized"), ((int)result["status"]!, (string?)result["reason"]));
        Assert.Empty(_api.Patches);
    }
}

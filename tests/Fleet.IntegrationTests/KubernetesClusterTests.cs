using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Coordinator.Control;
using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;

namespace Fleet.IntegrationTests;

/// <summary>
/// fleetctl cluster set | status | audit against the real coordinator, real agents, and the Kubernetes API
/// server test double (reached by the coordinator through KubernetesClient and a kubeconfig).
/// </summary>
public sealed class KubernetesClusterTests : IAsyncLifetime
{
    private const string Board = "Raspberry-Pi-4-Model-B-Rev-1.4";
    private static readonly string[] AllPlugins = ["bridge", "host-local", "loopback", "portmap"];
    private readonly TempDir _dir = new();
    private readonly List<TestAgent> _agents = [];
    private readonly List<FakeKubeApiServer> _apis = [];
    private TestCoordinator? _coordinator;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        if (_coordinator is not null)
        {
            await _coordinator.DisposeAsync();
        }

        foreach (var api in _apis)
        {
            await api.DisposeAsync();
        }

        _dir.Dispose();
    }

    private async Task<FakeKubeApiServer> StartApiAsync(string name, string version = "v1.28.3")
    {
        var api = await FakeKubeApiServer.StartAsync(_dir.Combine(name), version);
        _apis.Add(api);
        return api;
    }

    private async Task<TestCoordinator> StartCoordinatorAsync(string? kubeconfig = null)
    {
        var options = TestCoordinator.OptionsIn(_dir.Path);
        options.KubernetesSyncInterval = TimeSpan.FromMilliseconds(200);
        options.Kubeconfig = kubeconfig;
        _coordinator = await TestCoordinator.StartAsync(options);
        return _coordinator;
    }

    private async Task StartAgentAsync(string name, string kubeNode, string? machine, params string[] plugins)
    {
        var agent = new TestAgent(name, _coordinator!.AgentUri, _dir.Combine(name), plugins) { Machine = machine };
        _agents.Add(agent);
        await agent.EnrollAsync(await _coordinator.CreateTokenAsync(uses: 1), _coordinator.CaPin);
        var map = await Ctl("cluster", "map", name, kubeNode); // the operator says which Kubernetes node it is
        Assert.True(map.ExitCode == 0, map.Stderr);
        Assert.Equal($"node {name} is Kubernetes node {kubeNode}\n", map.Stdout);
        await agent.StartAsync();
    }

    private Task<Fleetctl.Result> Ctl(params string[] args) => Fleetctl.RunAsync([.. args, "--socket", _coordinator!.Socket]);

    private static JsonElement Json(Fleetctl.Result result)
    {
        Assert.True(result.ExitCode == 0, $"fleetctl failed ({result.ExitCode}): {result.Stderr}");
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    private static JsonObject PodSpec(string? arch = null)
    {
        var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "registry.invalid/x:1" }) };
        if (arch is not null)
        {
            spec["nodeSelector"] = new JsonObject { ["kubernetes.io/arch"] = arch };
        }

        return spec;
    }

    [Fact]
    public async Task ClusterSetStatusAudit_EndToEnd_WithBoardLabelsAndAnArchMismatch()
    {
        var coordinator = await StartCoordinatorAsync();

        // No kubeconfig yet: one clear line.
        var none = await Ctl("cluster", "status");
        Assert.Equal(1, none.ExitCode);
        Assert.Equal($"fleetctl: {ClusterApi.NoKubeconfig}\n", none.Stderr);

        var api = await StartApiAsync("api");
        api.AddNode("cp-1", labels: new Dictionary<string, string> { ["node-role.kubernetes.io/control-plane"] = "" }, taints: ("node-role.kubernetes.io/control-plane", "", "NoSchedule"));
        api.AddNode("k-pi-1", arch: "amd64"); // wrongly labelled: the agent is arm64
        api.AddNode("k-x86", kubeletVersion: "v1.29.0");
        api.AddDaemonSet("kube-system", "kube-proxy", new JsonObject { ["tolerations"] = new JsonArray(new JsonObject { ["operator"] = "Exists" }), ["containers"] = PodSpec()["containers"]!.DeepClone() });
        api.AddDaemonSet("kube-system", "flannel-amd64", PodSpec("amd64"));
        api.AddDeployment("default", "web", PodSpec());

        await StartAgentAsync("pi-1", "k-pi-1", "aarch64", AllPlugins);
        await StartAgentAsync("x86-1", "k-x86", null, "loopback");
        await StartAgentAsync("ghost-1", "k-ghost", null, AllPlugins);
        await Eventually.Until(() => Fleetctl.NodesAsync(coordinator.Socket), n => n.Count == 3 && n.All(x => x.GetProperty("checks").GetArrayLength() > 0), "three nodes report health");

        // Bad input to `cluster set`.
        var missing = await Ctl("cluster", "set", "--kubeconfig", _dir.Combine("nope"));
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith($"fleetctl: --kubeconfig: cannot read {_dir.Combine("nope")}: ", missing.Stderr);
        var garbagePath = _dir.Combine("garbage.yaml");
        await File.WriteAllTextAsync(garbagePath, "clusters: [unclosed");
        var garbage = await Ctl("cluster", "set", "--kubeconfig", garbagePath);
        Assert.Equal(1, garbage.ExitCode);
        Assert.StartsWith("fleetctl: the kubeconfig is not usable: ", garbage.Stderr);
        Assert.False(File.Exists(Path.Join(coordinator.Options.DataDir, "kubeconfig")));

        // The real one: stored as a 0600 copy, used at once.
        var set = await Ctl("cluster", "set", "--kubeconfig", api.KubeconfigPath);
        Assert.True(set.ExitCode == 0, set.Stderr);
        var stored = Path.Join(coordinator.Options.DataDir, "kubeconfig");
        Assert.Equal($"kubeconfig stored at {stored} on the coordinator\nAPI server {api.Url.ToString().TrimEnd('/')}/: v1.28.3\n".Replace("/:", ":", StringComparison.Ordinal), set.Stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stored));
        Assert.Equal(await File.ReadAllTextAsync(api.KubeconfigPath), await File.ReadAllTextAsync(stored));

        // Fleet labels the boards of the nodes it knows, and never rewrites kubernetes.io/arch.
        await Eventually.Until(() => api.Node("k-pi-1")!["metadata"]!["labels"]![KubeLabels.Board]?.GetValue<string>() == Board, "k-pi-1 gets its board label");
        await Eventually.Until(() => api.Node("k-x86")!["metadata"]!["labels"]![KubeLabels.Board]?.GetValue<string>() == Board, "k-x86 gets its board label");
        Assert.Null(api.Node("cp-1")!["metadata"]!["labels"]![KubeLabels.Board]); // no Fleet node maps to it
        Assert.Equal("amd64", api.Node("k-pi-1")!["metadata"]!["labels"]![KubeLabels.Arch]!.GetValue<string>());
        Assert.All(api.Patches, p => Assert.DoesNotContain("kubernetes.io/arch", p.Body));

        // status: version, nodes, mapping.
        var status = Json(await Ctl("cluster", "status", "-o", "json"));
        Assert.Equal("v1.28.3", status.Str("serverVersion"));
        Assert.Equal(stored, status.Str("kubeconfig"));
        var kubeNodes = status.GetProperty("kubernetesNodes").EnumerateArray().ToList();
        Assert.Equal(["cp-1", "k-pi-1", "k-x86"], kubeNodes.Select(n => n.Str("name")));
        Assert.Equal(["", "pi-1", "x86-1"], kubeNodes.Select(n => n.Str("fleetNode")));
        Assert.Equal("control-plane", kubeNodes[0].Str("role"));
        Assert.Equal(Board, kubeNodes[1].Str("board"));
        var mappings = status.GetProperty("mappings").EnumerateArray().ToDictionary(m => m.Str("fleetNode"));
        Assert.Equal(("k-pi-1", "operator", true, "arm64", "amd64", true), Mapping(mappings["pi-1"]));
        Assert.Equal(("k-x86", "operator", true, "amd64", "amd64", false), Mapping(mappings["x86-1"]));
        Assert.False(mappings["ghost-1"].GetProperty("found").GetBoolean());

        var table = await Ctl("cluster", "status");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("API server:  https://127.0.0.1:", table.Stdout);
        Assert.Contains("KUBERNETES NODE", table.Stdout);
        Assert.Contains("kubernetes.io/arch=amd64 but the agent reports arm64", table.Stdout);
        Assert.Contains("no Kubernetes node of that name", table.Stdout);

        // audit: workloads against the fleet's archs, CNI plugins, skew, arch labels.
        var audit = Json(await Ctl("cluster", "audit", "-o", "json"));
        Assert.Equal(["amd64", "arm64"], audit.GetProperty("fleetArchs").EnumerateArray().Select(a => a.GetString()));
        var workloads = audit.GetProperty("workloads").EnumerateArray().ToDictionary(w => w.Str("name"));
        Assert.Equal(["flannel-amd64", "kube-proxy", "web"], workloads.Keys); // DaemonSets, then Deployments, each as the API lists them
        Assert.Empty(workloads["kube-proxy"].GetProperty("missingArchs").EnumerateArray());
        Assert.Equal(["arm64"], workloads["flannel-amd64"].GetProperty("missingArchs").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["amd64"], workloads["flannel-amd64"].GetProperty("allowedArchs").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("cp-1: taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated", workloads["flannel-amd64"].GetProperty("blockedNodes").EnumerateArray().Select(a => a.GetString()));
        var cni = Assert.Single(audit.GetProperty("cniPlugins").EnumerateArray());
        Assert.Equal(("x86-1", "failing"), (cni.Str("fleetNode"), cni.Str("status")));
        var skew = Assert.Single(audit.GetProperty("versionSkew").EnumerateArray());
        Assert.Equal(("k-x86", "x86-1", "v1.29.0"), (skew.Str("kubernetesNode"), skew.Str("fleetNode"), skew.Str("kubeletVersion")));
        Assert.Equal("pi-1", Assert.Single(audit.GetProperty("archMismatches").EnumerateArray()).Str("fleetNode"));

        var auditTable = await Ctl("cluster", "audit");
        Assert.Equal(0, auditTable.ExitCode);
        Assert.Contains("flannel-amd64", auditTable.Stdout);
        Assert.Contains("Version skew:", auditTable.Stdout);
        Assert.Contains("4 finding(s).", auditTable.Stdout);

        // The mismatch was logged, once, however many syncs ran.
        var mismatchLogs = coordinator.Logs.Events.Where(e => e.EventId() == 609).ToList();
        Assert.Single(mismatchLogs);
        Assert.Equal(
            "Node \"pi-1\": Kubernetes node \"k-pi-1\" is labelled kubernetes.io/arch=\"amd64\" but the agent reports \"arm64\"; Fleet does not change that label",
            mismatchLogs[0].RenderMessage());

        // The API server goes away: a clear error, not a hang.
        var url = api.Url.ToString().TrimEnd('/');
        await api.DisposeAsync();
        var down = await Ctl("cluster", "status");
        Assert.Equal(1, down.ExitCode);
        Assert.StartsWith($"fleetctl: reading the API server's version: the Kubernetes API server {url}", down.Stderr.Replace(url + "/", url, StringComparison.Ordinal));
        Assert.Contains("is unreachable", down.Stderr);
    }

    private static (string, string, bool, string, string, bool) Mapping(JsonElement m) =>
        (m.Str("kubernetesNode"), m.Str("mappedBy"), m.GetProperty("found").GetBoolean(), m.Str("fleetArch"), m.Str("kubernetesArch"), m.GetProperty("archMismatch").GetBoolean());

    [Fact]
    public async Task TheKubeconfigFlag_IsUsed_UntilClusterSetReplacesIt_WithoutARestart()
    {
        var first = await StartApiAsync("api-1", "v1.28.3");
        first.AddNode("node-a");
        var second = await StartApiAsync("api-2", "v1.29.1");
        second.AddNode("node-b");
        await StartCoordinatorAsync(first.KubeconfigPath);

        var before = Json(await Ctl("cluster", "status", "-o", "json"));
        Assert.Equal(("v1.28.3", first.KubeconfigPath), (before.Str("serverVersion"), before.Str("kubeconfig")));
        Assert.Equal(["node-a"], before.GetProperty("kubernetesNodes").EnumerateArray().Select(n => n.Str("name")));

        Assert.Equal(0, (await Ctl("cluster", "set", "--kubeconfig", second.KubeconfigPath)).ExitCode);
        var after = Json(await Ctl("cluster", "status", "-o", "json"));
        Assert.Equal("v1.29.1", after.Str("serverVersion"));
        Assert.Equal(["node-b"], after.GetProperty("kubernetesNodes").EnumerateArray().Select(n => n.Str("name")));
    }

    [Fact]
    public async Task ClusterSet_WithRefusedCredentials_StoresButSaysItCannotBeUsed()
    {
        var api = await StartApiAsync("api");
        await StartCoordinatorAsync();
        var result = await Ctl("cluster", "set", "--kubeconfig", api.WriteKubeconfigWithBadToken());
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the API server answered 401 Unauthorized (the kubeconfig's credentials were refused)", result.Stderr);
    }

    /// <summary>The coordinator as its own process reaches the double through the kubeconfig file the double wrote.</summary>
    [Fact]
    public async Task ACoordinatorProcess_UsesTheDoubleThroughItsKubeconfig()
    {
        var api = await StartApiAsync("api");
        api.AddNode("node-a", arch: "arm64");
        var binary = Repo.BuildOutput("coordinator/Fleet.Coordinator", "fleet-coordinator");

        var bad = await ProcessRun.RunAsync(binary, ["--kubeconfig", _dir.Combine("absent.yaml"), "--data-dir", _dir.Combine("bad"), "--socket", _dir.Combine("bad.sock")]);
        Assert.Equal(2, bad.Code);
        Assert.StartsWith($"fleet-coordinator: --kubeconfig: kubeconfig {_dir.Combine("absent.yaml")}: cannot be read: ", bad.Stderr);

        var socket = _dir.Combine("c.sock");
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--listen", $"127.0.0.1:{FreePort.Next()}", "--metrics-listen", "off", "--data-dir", _dir.Combine("data"), "--socket", socket, "--kubeconfig", api.KubeconfigPath })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        try
        {
            var status = await Eventually.Until(() => Fleetctl.RunAsync("cluster", "status", "-o", "json", "--socket", socket), r => r.ExitCode == 0, "the coordinator process answers");
            var json = Json(status);
            Assert.Equal("v1.28.3", json.Str("serverVersion"));
            var node = Assert.Single(json.GetProperty("kubernetesNodes").EnumerateArray());
            Assert.Equal(("node-a", "arm64", "Ready"), (node.Str("name"), node.Str("arch"), node.Str("status")));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().DefaultTimeout();
        }
    }
}

internal static class LogEventIds
{
    public static int? EventId(this Serilog.Events.LogEvent e) =>
        e.Properties.TryGetValue("EventId", out var id) && id is Serilog.Events.StructureValue s
            && s.Properties.FirstOrDefault(p => p.Name == "Id")?.Value is Serilog.Events.ScalarValue { Value: int value } ? value : null;
}

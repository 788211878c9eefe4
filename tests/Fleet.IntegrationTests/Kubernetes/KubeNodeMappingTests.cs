using System.Text.Json;
using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;

namespace Fleet.IntegrationTests.Kubernetes;

/// <summary>
/// Finding 4, end to end: real coordinator, real agents (each a real enrolled certificate), fleetctl, and the
/// Kubernetes API server double reached through KubernetesClient. What a node says about itself (hostname,
/// labels) never selects a Kubernetes node; only its certificate name or an operator's mapping does.
/// </summary>
public sealed class KubeNodeMappingTests : IAsyncLifetime
{
    private const string Board = "Raspberry-Pi-4-Model-B-Rev-1.4";
    private readonly TempDir _dir = new();
    private readonly List<TestAgent> _agents = [];
    private FakeKubeApiServer _api = null!;
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(_dir.Combine("api"), "v1.28.3");
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await _coordinator.DisposeAsync();
        await _api.DisposeAsync();
        _dir.Dispose();
    }

    private async Task StartCoordinatorAsync(bool requireApproval = false)
    {
        var options = TestCoordinator.OptionsIn(_dir.Path);
        options.KubernetesSyncInterval = TimeSpan.FromMilliseconds(200);
        options.RequireApproval = requireApproval;
        _coordinator = await TestCoordinator.StartAsync(options);
    }

    private async Task<TestAgent> AgentAsync(string name, string? hostname = null, Dictionary<string, string>? labels = null, string? board = null, bool start = true)
    {
        var agent = new TestAgent(name, _coordinator.AgentUri, _dir.Combine(name), "bridge", "host-local", "loopback", "portmap") { Hostname = hostname };
        if (labels is not null)
        {
            agent.Options.Labels = labels;
        }

        if (board is not null)
        {
            File.WriteAllText(Path.Join(agent.Root, "proc/device-tree/model"), board + "\0");
        }

        _agents.Add(agent);
        await agent.EnrollAsync(await _coordinator.CreateTokenAsync(uses: 1), _coordinator.CaPin);
        if (start)
        {
            await agent.StartAsync();
        }

        return agent;
    }

    private Task<Fleetctl.Result> Ctl(params string[] args) => Fleetctl.RunAsync([.. args, "--socket", _coordinator.Socket]);

    private async Task<JsonElement> StatusAsync()
    {
        var result = await Ctl("cluster", "status", "-o", "json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    private async Task WaitConnectedAsync(params string[] names) =>
        await Eventually.Until(() => Fleetctl.NodesAsync(_coordinator.Socket), n => names.All(name => n.Any(x => x.Str("name") == name && x.GetProperty("connected").GetBoolean())), $"{string.Join(", ", names)} connected");

    private async Task<string> PlanAsync(string yaml)
    {
        var file = _dir.Combine($"plan-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml);
        return file;
    }

    private string? BoardOf(string kubeNode) => _api.Node(kubeNode)!["metadata"]!["labels"]![KubeLabels.Board]?.GetValue<string>();

    [Fact]
    public async Task ARogueNode_ClaimingAnotherNodesHostnameAndLabel_GetsThatNodeNeitherLabelledNorCordonedNorDrainedNorTreatedAsControlPlane()
    {
        _api.AddNode("cp-1", labels: new Dictionary<string, string> { [KubeLabels.ControlPlane] = "" });
        _api.AddNode("worker-1");
        _api.AddPod("default", "web-1", "worker-1");
        await StartCoordinatorAsync();
        await AgentAsync("worker-1");

        // A token holder enrolls "rogue", and says it is worker-1 (hostname) and cp-1 (the label that used to decide).
        await AgentAsync("rogue", hostname: "worker-1", labels: new Dictionary<string, string> { ["fleet.io/kubernetes-node"] = "cp-1" }, board: "Evil Board");
        await WaitConnectedAsync("worker-1", "rogue");
        var set = await Ctl("cluster", "set", "--kubeconfig", _api.KubeconfigPath); // the first label pass sees both nodes
        Assert.True(set.ExitCode == 0, set.Stderr);
        await Eventually.Until(() => BoardOf("worker-1") == Board, "worker-1 gets its own board label");

        // Labels: the rogue's board reached no Kubernetes node; cp-1 was never patched at all.
        Assert.Null(BoardOf("cp-1"));
        Assert.DoesNotContain(_api.Patches, p => p.Name == "cp-1");
        Assert.DoesNotContain(_api.Patches, p => p.Body.Contains("Evil", StringComparison.Ordinal));

        // Status: the rogue is the Kubernetes node of its own name (none), by name; worker-1 and cp-1 are not its.
        var status = await StatusAsync();
        var mappings = status.GetProperty("mappings").EnumerateArray().ToDictionary(m => m.Str("fleetNode"));
        Assert.Equal(("rogue", "name", false), (mappings["rogue"].Str("kubernetesNode"), mappings["rogue"].Str("mappedBy"), mappings["rogue"].GetProperty("found").GetBoolean()));
        Assert.Equal(("worker-1", "name", true), (mappings["worker-1"].Str("kubernetesNode"), mappings["worker-1"].Str("mappedBy"), mappings["worker-1"].GetProperty("found").GetBoolean()));
        var fleetOf = status.GetProperty("kubernetesNodes").EnumerateArray().ToDictionary(n => n.Str("name"), n => n.Str("fleetNode"));
        Assert.Equal(("", "worker-1"), (fleetOf["cp-1"], fleetOf["worker-1"]));

        // Cordon and drain aimed at the rogue: refused at preflight, nothing touched.
        var drain = await Ctl("rollout", "apply", "-f", await PlanAsync("target: { names: [rogue] }\nsteps:\n  - cordon: {}\n  - drain: {}\n"));
        Assert.Equal(1, drain.ExitCode);
        Assert.Contains("not Kubernetes nodes (a node is the Kubernetes node of its name unless an operator mapped it: fleetctl cluster map NODE KUBE-NODE): rogue (as rogue)", drain.Stderr);
        Assert.DoesNotContain(_api.Patches, p => p.Body.Contains("unschedulable", StringComparison.Ordinal));
        Assert.Empty(_api.Evictions);
        Assert.Equal(["default/web-1"], _api.PodsOn("worker-1"));

        // An upgrade of the rogue alone: it is not the control plane (its kubelet would outrun the control plane), and not a Kubernetes node.
        var catalog = _dir.Combine("catalog.yaml");
        await File.WriteAllTextAsync(catalog, Catalog("v1.28.4"));
        Assert.Equal(0, (await Ctl("catalog", "apply", "-f", catalog)).ExitCode);
        var upgrade = await Ctl("rollout", "plan", "-f", await PlanAsync("target: { names: [rogue] }\nrecipe: { upgrade-kubernetes: { version: v1.28.4 } }\n"));
        Assert.Equal(1, upgrade.ExitCode);
        Assert.Contains("kubelet v1.28.4 would be newer than the control plane (v1.28.3): target the control-plane nodes too", upgrade.Stderr);
        Assert.Contains("rogue (as rogue)", upgrade.Stderr);
        Assert.DoesNotContain("kubeadm upgrade apply", upgrade.Stdout + upgrade.Stderr);

        // The real worker-1 is still drainable by a plan that names it (the mapping works for the node it belongs to).
        var legit = await Ctl("rollout", "plan", "-f", await PlanAsync("target: { names: [worker-1] }\nsteps:\n  - cordon: {}\n  - drain: {}\n"));
        Assert.True(legit.ExitCode == 0, legit.Stderr);
        Assert.Contains("cordon worker-1", legit.Stdout);
    }

    [Fact]
    public async Task OperatorMappings_RefuseDuplicatesNamingBoth_WinOverALaterNodesName_AndGoWithARemovedNode()
    {
        _api.AddNode("k-a");
        _api.AddNode("b");
        await StartCoordinatorAsync();
        await Ctl("cluster", "set", "--kubeconfig", _api.KubeconfigPath);
        await AgentAsync("a");
        await AgentAsync("b");
        await WaitConnectedAsync("a", "b");

        // Bad input: clear errors, nothing stored.
        var unknown = await Ctl("cluster", "map", "nope", "k-x");
        Assert.Equal((1, "fleetctl: no enrolled node named \"nope\"\n"), (unknown.ExitCode, unknown.Stderr));
        var badName = await Ctl("cluster", "map", "a", "K_A");
        Assert.Equal(1, badName.ExitCode);
        Assert.Equal($"fleetctl: kubernetes node: \"K_A\" is not a valid Kubernetes node name ({KubeNodeNames.Rule})\n", badName.Stderr);
        var badFleetName = await Ctl("cluster", "map", "../a", "k-a");
        Assert.Equal(1, badFleetName.ExitCode);
        Assert.StartsWith("fleetctl: fleet node: \"../a\" is not a valid node name", badFleetName.Stderr);

        // a onto b's Kubernetes node (b is it by its name): refused, naming both.
        var onB = await Ctl("cluster", "map", "a", "b");
        Assert.Equal(1, onB.ExitCode);
        Assert.StartsWith("fleetctl: cannot map a to Kubernetes node b: Fleet node b already maps there by its name;", onB.Stderr);

        var mapped = await Ctl("cluster", "map", "a", "k-a");
        Assert.Equal((0, "node a is Kubernetes node k-a\n"), (mapped.ExitCode, mapped.Stdout));
        var twice = await Ctl("cluster", "map", "b", "k-a");
        Assert.Equal(1, twice.ExitCode);
        Assert.StartsWith("fleetctl: cannot map b to Kubernetes node k-a: Fleet node a already mapped there by an operator;", twice.Stderr);
        Assert.Equal(0, (await Ctl("cluster", "map", "a", "k-a")).ExitCode); // the same mapping again is no conflict

        // A token holder enrolls as "k-a": the operator's mapping wins, the newcomer maps to nothing.
        await AgentAsync("k-a", board: "Evil Board");
        await WaitConnectedAsync("k-a");
        await Eventually.Until(() => BoardOf("k-a") == Board && BoardOf("b") == Board, "k-a (for a) and b get their boards");
        var status = await StatusAsync();
        var mappings = status.GetProperty("mappings").EnumerateArray().ToDictionary(m => m.Str("fleetNode"));
        Assert.Equal(("k-a", "operator"), (mappings["a"].Str("kubernetesNode"), mappings["a"].Str("mappedBy")));
        Assert.Equal("", mappings["k-a"].Str("kubernetesNode"));
        Assert.Equal("Kubernetes node k-a is mapped to Fleet node a by an operator", mappings["k-a"].Str("conflict"));
        Assert.False(mappings["k-a"].GetProperty("found").GetBoolean());
        Assert.Equal("a", status.GetProperty("kubernetesNodes").EnumerateArray().Single(n => n.Str("name") == "k-a").Str("fleetNode"));
        Assert.DoesNotContain(_api.Patches, p => p.Body.Contains("Evil", StringComparison.Ordinal));
        var table = await Ctl("cluster", "status");
        Assert.Contains("Kubernetes node k-a is mapped to Fleet node a by an", table.Stdout);

        var cordon = await Ctl("rollout", "plan", "-f", await PlanAsync("target: { names: [k-a] }\nsteps:\n  - cordon: {}\n"));
        Assert.Equal(1, cordon.ExitCode);
        Assert.Contains("no Kubernetes node: k-a (Kubernetes node k-a is mapped to Fleet node a by an operator)", cordon.Stderr);

        // Removing a forgets its mapping with it: the newcomer is now the Kubernetes node of its name.
        Assert.Equal(0, (await Ctl("nodes", "remove", "a")).ExitCode);
        var after = (await StatusAsync()).GetProperty("mappings").EnumerateArray().ToDictionary(m => m.Str("fleetNode"));
        Assert.False(after.ContainsKey("a"));
        Assert.Equal(("k-a", "name", ""), (after["k-a"].Str("kubernetesNode"), after["k-a"].Str("mappedBy"), after["k-a"].Str("conflict")));

        // unmap: when an operator gave the node's own name to another node, it maps to nothing, saying why.
        Assert.Equal(0, (await Ctl("cluster", "map", "b", "k-b")).ExitCode);
        Assert.Equal(0, (await Ctl("cluster", "map", "k-a", "b")).ExitCode);
        var unmapTaken = await Ctl("cluster", "unmap", "b");
        Assert.Equal((0, "node b maps to no Kubernetes node: Kubernetes node b is mapped to Fleet node k-a by an operator\n"), (unmapTaken.ExitCode, unmapTaken.Stdout));
        Assert.Equal(0, (await Ctl("cluster", "unmap", "k-a")).ExitCode);

        Assert.Equal(0, (await Ctl("cluster", "map", "b", "k-b")).ExitCode);
        var unmap = await Ctl("cluster", "unmap", "b");
        Assert.Equal((0, "node b is Kubernetes node b (by its name)\n"), (unmap.ExitCode, unmap.Stdout));
        Assert.Equal("b", (await StatusAsync()).GetProperty("mappings").EnumerateArray().Single(m => m.Str("fleetNode") == "b").Str("kubernetesNode"));
    }

    [Fact]
    public async Task AnUnapprovedNode_IsNeverLabelled_UntilAnOperatorApprovesIt()
    {
        _api.AddNode("pi-1");
        _api.AddNode("pi-2");
        await StartCoordinatorAsync(requireApproval: true);
        await AgentAsync("pi-1");
        await AgentAsync("pi-2");
        Assert.Equal(0, (await Ctl("nodes", "approve", "pi-1")).ExitCode);
        await WaitConnectedAsync("pi-1", "pi-2");
        Assert.Equal(0, (await Ctl("cluster", "set", "--kubeconfig", _api.KubeconfigPath)).ExitCode);

        // The pass that labels pi-1 saw pi-2 too (both were connected before the kubeconfig came) and left it alone.
        await Eventually.Until(() => BoardOf("pi-1") == Board, "pi-1 (approved) gets its board");
        Assert.Null(BoardOf("pi-2"));
        Assert.DoesNotContain(_api.Patches, p => p.Name == "pi-2");
        var pi2 = (await StatusAsync()).GetProperty("mappings").EnumerateArray().Single(m => m.Str("fleetNode") == "pi-2");
        Assert.False(pi2.GetProperty("approved").GetBoolean());
        Assert.Contains("awaiting approval: Fleet does not label or act on it", (await Ctl("cluster", "status")).Stdout);

        var cordon = await Ctl("rollout", "plan", "-f", await PlanAsync("target: { names: [pi-2] }\nsteps:\n  - cordon: {}\n"));
        Assert.Equal(1, cordon.ExitCode);
        Assert.Contains("awaiting approval (fleetctl nodes approve NAME): pi-2", cordon.Stderr);

        Assert.Equal(0, (await Ctl("nodes", "approve", "pi-2")).ExitCode);
        await Eventually.Until(() => BoardOf("pi-2") == Board, "pi-2 gets its board once approved");
    }

    private static string Catalog(string version)
    {
        var yaml = new System.Text.StringBuilder("components:\n");
        foreach (var (binary, digit) in new[] { ("kubeadm", 'a'), ("kubelet", 'b'), ("kubectl", 'c') })
        {
            yaml.AppendLine($"  {binary}:\n    kind: binary\n    url: http://127.0.0.1:9/{{version}}/{{arch}}/{binary}\n    versions:\n      {version}: {{ amd64: {{ sha256: {new string(digit, 64)} }} }}");
        }

        return yaml.ToString();
    }
}

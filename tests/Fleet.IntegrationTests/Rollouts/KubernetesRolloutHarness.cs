using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// The Kubernetes API double, a real coordinator talking to it through KubernetesClient (its kubeconfig), a real
/// artifact server, and real agents in this process (each pretending to be its own machine) running the kubeadm and
/// systemctl doubles; plans go through fleetctl. A small "kubelet" loop (<see cref="RunKubelets"/>) plays the part of
/// the kubelets.
/// </summary>
public sealed class KubernetesRolloutHarness : IAsyncDisposable
{
    private static readonly string[] Arches = ["amd64", "arm64", "arm"];
    private readonly List<KubeTestNode> _nodes = [];
    private readonly ConcurrentQueue<string> _restarts = new();
    private readonly CancellationTokenSource _stop = new();
    private FakeKubeApiServer? _kube;
    private TestCoordinator? _coordinator;
    private ArtifactServer? _artifacts;
    private FleetctlSession? _ctl;
    private Task? _kubelets;

    private KubernetesRolloutHarness(string from) => From = from;

    public TempDir Dir { get; } = new();

    /// <summary>The version every node's kubelet and the API server report at the start.</summary>
    public string From { get; }

    public FakeKubeApiServer Kube => _kube!;

    public TestCoordinator Coordinator => _coordinator!;

    public ArtifactServer Artifacts => _artifacts!;

    public IReadOnlyList<KubeTestNode> Nodes => _nodes;

    private FleetctlSession Ctl => _ctl!;

    /// <summary>Every kubelet restart the loop saw, in order: "pi1 -> v1.13.4 (API server at v1.13.4)".</summary>
    public string[] Restarts => _restarts.ToArray();

    /// <param name="from">The version of the API server (and of the nodes <see cref="NodeAsync"/> registers).</param>
    /// <param name="artifactsRoot">The folder the artifact server serves, prepared in the harness's folder; the multi-arch fixtures by default.</param>
    public static async Task<KubernetesRolloutHarness> StartAsync(string from, Func<TempDir, Task<string>>? artifactsRoot = null)
    {
        var harness = new KubernetesRolloutHarness(from);
        try
        {
            harness._kube = await FakeKubeApiServer.StartAsync(harness.Dir.Combine("kube"), from);
            var options = TestCoordinator.OptionsIn(harness.Dir.Path);
            options.Kubeconfig = harness._kube.KubeconfigPath;
            harness._coordinator = await TestCoordinator.StartAsync(options);
            harness._ctl = new FleetctlSession(harness.Dir, harness._coordinator.Socket);
            var root = artifactsRoot is null ? Fixtures.Require(Fixtures.Artifacts) : await artifactsRoot(harness.Dir);
            harness._artifacts = await ArtifactServer.StartAsync(root);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// An enrolled, connected agent running the kubeadm and systemctl doubles; <paramref name="machine"/> is what uname(2)
    /// says (x86_64, aarch64, armv7l). With <paramref name="inCluster"/> the API double has its node, Ready at <see cref="From"/>.
    /// </summary>
    /// <param name="configure">the agent's options before it starts (e.g. its kubelet healthz URL)</param>
    public async Task<KubeTestNode> NodeAsync(string name, string machine, string arch, bool controlPlane = false, bool inCluster = true, Action<TestAgent>? configure = null)
    {
        var root = Dir.Combine(name);
        var doubles = new TestDoubles(Dir.Combine($"{name}-doubles"), root);
        var agent = new TestAgent(name, Coordinator.AgentUri, root) { Machine = machine };
        agent.Options.KubeadmPath = doubles.Kubeadm;
        agent.Options.SystemctlPath = doubles.Systemctl;
        configure?.Invoke(agent);
        await agent.EnrollAsync(await Coordinator.CreateTokenAsync(uses: 1), Coordinator.CaPin);
        await agent.StartAsync();
        var node = new KubeTestNode(agent, doubles, arch);
        _nodes.Add(node);
        if (inCluster)
        {
            Kube.AddNode(name, arch, From, labels: controlPlane ? new Dictionary<string, string> { [KubeLabels.ControlPlane] = "" } : null);
        }

        await Eventually.Until(async () => (await Fleetctl.NodesAsync(Coordinator.Socket)).Any(n => n.Str("name") == name && n.GetProperty("connected").GetBoolean()), ok => ok, $"{name} is connected");
        return node;
    }

    /// <summary>
    /// Starts the kubelets (they stop on dispose): a node whose `kubeadm join` ran registers, Ready at <see cref="From"/>; the
    /// n-th kubelet restart of a node reports <paramref name="versions"/>[n-1] (the binary the agent installed for that
    /// upgrade), once. With <paramref name="apiServerFollowsUpgradeApply"/>, `kubeadm upgrade apply vX` on the control
    /// plane moves the API server to vX, as in a real cluster.
    /// </summary>
    public void RunKubelets(string[] versions, bool apiServerFollowsUpgradeApply = false)
    {
        if (_kubelets is not null)
        {
            throw new InvalidOperationException("the kubelets are already running");
        }

        _kubelets = RunKubeletsAsync(versions, apiServerFollowsUpgradeApply, _stop.Token);
    }

    /// <summary>The catalog's kubeadm, kubelet and kubectl (its lines under `components:`) at <paramref name="versions"/> for amd64,
    /// arm64 and arm: Debian's real per-arch kubectl executables stand in for all three (there are no v1.12 builds here);
    /// <paramref name="built"/> (component, version, arch) leaves a build out.</summary>
    public string BinariesCatalog(IEnumerable<string> versions, Func<string, string, string, bool>? built = null)
    {
        var yaml = new StringBuilder();
        foreach (var component in new[] { "kubeadm", "kubelet", "kubectl" })
        {
            yaml.AppendLine($"  {component}:");
            yaml.AppendLine("    kind: binary");
            yaml.AppendLine($"    url: {Artifacts.BaseUrl}/files/kubectl/{{arch}}/kubectl");
            yaml.AppendLine("    versions:");
            foreach (var version in versions)
            {
                yaml.AppendLine($"      {version}:");
                foreach (var arch in Arches.Where(a => built?.Invoke(component, version, a) ?? true))
                {
                    yaml.AppendLine($"        {arch}: {{ sha256: {Fixtures.Sha256(Fixtures.Kubectl(arch))} }}");
                }
            }
        }

        return yaml.ToString();
    }

    /// <summary>`catalog apply -f` of <paramref name="yaml"/>; it must succeed.</summary>
    public Task ApplyCatalogAsync(string yaml) => Ctl.ApplyCatalogAsync(yaml);

    public Task<Fleetctl.Result> CtlAsync(params string[] args) => Ctl.RunAsync(args);

    public Task<string> PlanFileAsync(string yaml) => Ctl.PlanFileAsync(yaml);

    /// <summary>`rollout get ID -o json`.</summary>
    public async Task<JsonElement> GetAsync(string id) => JsonDocument.Parse((await CtlAsync("rollout", "get", id, "-o", "json")).Stdout).RootElement;

    /// <summary>The kubelet version the API double reports for <paramref name="node"/>.</summary>
    public string KubeletVersion(string node) => (string)Kube.Node(node)!["status"]!["nodeInfo"]!["kubeletVersion"]!;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_kubelets is not null)
        {
            await _kubelets.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        foreach (var node in _nodes)
        {
            await node.Agent.DisposeAsync();
        }

        await (_artifacts?.DisposeAsync() ?? ValueTask.CompletedTask);
        await (_coordinator?.DisposeAsync() ?? ValueTask.CompletedTask);
        await (_kube?.DisposeAsync() ?? ValueTask.CompletedTask);
        _stop.Dispose();
        Dir.Dispose();
    }

    private async Task RunKubeletsAsync(string[] versions, bool apiServerFollowsUpgradeApply, CancellationToken ct)
    {
        var restarted = new Dictionary<string, int>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            foreach (var (agent, doubles, arch) in _nodes.ToArray())
            {
                if (Kube.Node(agent.Name) is null && doubles.Calls("kubeadm").Any(c => c.StartsWith("join", StringComparison.Ordinal)))
                {
                    Kube.AddNode(agent.Name, arch, From);
                }

                var applied = apiServerFollowsUpgradeApply ? doubles.Calls("kubeadm").LastOrDefault(c => c.StartsWith("upgrade apply ", StringComparison.Ordinal)) : null;
                if (applied is not null)
                {
                    Kube.ServerVersion = applied.Split(' ')[2];
                }

                var restarts = doubles.Calls("systemctl").Count(c => c == "restart kubelet.service");
                if (restarts > restarted.GetValueOrDefault(agent.Name) && restarts <= versions.Length)
                {
                    restarted[agent.Name] = restarts;
                    _restarts.Enqueue($"{agent.Name} -> {versions[restarts - 1]} (API server at {Kube.ServerVersion})");
                    Kube.SetNodeStatus(agent.Name, ready: true, versions[restarts - 1]);
                }
            }

            await Task.Delay(100, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}

using System.Text;
using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// The join and upgrade recipes end to end: the real coordinator talking to the Kubernetes API double through
/// KubernetesClient (its kubeconfig), real agents (each pretending to be its own machine) running the kubeadm
/// and systemctl doubles, real multi-arch binaries over HTTP. A small "kubelet" loop plays the part of the
/// kubelets: it registers a node once its join ran, and reports the new version once kubelet was restarted.
/// </summary>
public sealed class KubernetesRolloutTests : IAsyncLifetime
{
    private const string From = "v1.12.0";
    private const string To = "v1.12.5";
    private readonly TempDir _dir = new();
    private readonly List<(TestAgent Agent, TestDoubles Doubles, string Arch)> _nodes = [];
    private readonly CancellationTokenSource _stop = new();
    private FakeKubeApiServer _kube = null!;
    private TestCoordinator _coordinator = null!;
    private ArtifactServer _artifacts = null!;
    private Task? _kubelets;

    public async Task InitializeAsync()
    {
        _kube = await FakeKubeApiServer.StartAsync(_dir.Combine("kube"), From);
        var options = TestCoordinator.OptionsIn(_dir.Path);
        options.Kubeconfig = _kube.KubeconfigPath;
        _coordinator = await TestCoordinator.StartAsync(options);
        _artifacts = await ArtifactServer.StartAsync(Fixtures.Require(Fixtures.Artifacts));
        await ApplyCatalogAsync();
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_kubelets is not null)
        {
            await _kubelets.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        foreach (var (agent, _, _) in _nodes)
        {
            await agent.DisposeAsync();
        }

        await _artifacts.DisposeAsync();
        await _coordinator.DisposeAsync();
        await _kube.DisposeAsync();
        _stop.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Join_MakesAJustInTimeToken_RunsKubeadmJoin_WaitsForReady_AndDeletesTheToken()
    {
        var (pi, doubles, _) = await NodeAsync("pi1", "aarch64", "arm64", inCluster: false);
        _kubelets = RunKubeletsAsync(_stop.Token);

        var applied = await CtlAsync("rollout", "apply", "--watch", "-f", await PlanAsync($$"""
            target: { names: [pi1] }
            recipe:
              join: { controlPlaneEndpoint: "10.0.0.10:6443", cniVersion: {{Fixtures.CniVersion}} }
            """));

        Assert.True(applied.ExitCode == 0, applied.Stdout + applied.Stderr);
        var join = Assert.Single(doubles.Calls("kubeadm"), c => c.StartsWith("join", StringComparison.Ordinal));
        Assert.StartsWith("join --config ", join); // the token is not on kubeadm's command line
        var config = doubles.JoinConfig()!;
        var token = System.Text.RegularExpressions.Regex.Match(config, "token: \"([a-z0-9]{6})\\.([a-z0-9]{16})\"");
        Assert.True(token.Success, config);
        Assert.Contains($"    - \"{CaHash()}\"\n", config);
        Assert.Contains("apiServerEndpoint: \"10.0.0.10:6443\"", config);
        Assert.Contains("nodeRegistration:\n  name: \"pi1\"\n", config);
        Assert.Equal(["daemon-reload", "enable kubelet.service"], doubles.Calls("systemctl").Where(c => !c.StartsWith("show", StringComparison.Ordinal)));
        Assert.Null(_kube.Secret("kube-system", $"bootstrap-token-{token.Groups[1].Value}")); // deleted after the join
        Assert.Contains($"secrets kube-system/bootstrap-token-{token.Groups[1].Value}", string.Join("\n", _kube.Deletions));
        foreach (var binary in new[] { "kubeadm", "kubelet", "kubectl" })
        {
            Assert.Equal(Fleet.Agent.Steps.ElfMachine.AArch64, Fleet.Agent.Steps.ElfMachine.Read(Path.Join(pi.Root, "usr/bin", binary)));
        }

        var logs = (await CtlAsync("rollout", "logs", "r1")).Stdout + string.Join("\n", _coordinator.Logs.Messages) + string.Join("\n", pi.Logs.Messages);
        Assert.Contains($"kubernetes: created bootstrap token {token.Groups[1].Value}.<redacted>", logs);
        Assert.Contains($"kubernetes: deleted bootstrap token {token.Groups[1].Value}", logs);
        Assert.Contains("kubernetes: pi1 is Ready, kubelet v1.12.0", logs);
        Assert.DoesNotContain(token.Groups[2].Value, logs);
        Assert.DoesNotContain(token.Groups[2].Value, await DataFolderTextAsync());
    }

    [Fact]
    public async Task Upgrade_OverAMixedFleet_ControlPlaneFirstThenWorkersInBatches_EachStepOnce()
    {
        await NodeAsync("cp1", "x86_64", "amd64", controlPlane: true);
        await NodeAsync("odroid1", "armv7l", "arm");
        await NodeAsync("pi1", "aarch64", "arm64");
        await NodeAsync("pi2", "aarch64", "arm64");
        _kube.AddPod("default", "web-pi1", "pi1", ownerKind: "ReplicaSet");
        _kube.AddPod("kube-system", "kube-proxy-pi1", "pi1", ownerKind: "DaemonSet");
        _kube.CordonAsOperator("pi2"); // an operator's cordon: Fleet must leave it
        _kubelets = RunKubeletsAsync(_stop.Token);

        var plan = await PlanAsync($$"""
            name: upgrade
            target: {}
            strategy: { batchSize: 2 }
            recipe:
              upgrade-kubernetes: { version: {{To}} }
            """);
        var dry = await CtlAsync("rollout", "plan", "-f", plan);
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains("batch 1: cp1", dry.Stdout);
        Assert.Contains("batch 2: odroid1, pi1", dry.Stdout);
        Assert.Contains("batch 3: pi2", dry.Stdout);
        Assert.Contains("kubeadm upgrade apply v1.12.5 -y", dry.Stdout);
        Assert.Contains($"{_artifacts.BaseUrl}/files/{Fixtures.Kubectl("arm")}", dry.Stdout);

        var applied = await CtlAsync("rollout", "apply", "--watch", "-f", plan);

        Assert.True(applied.ExitCode == 0, applied.Stdout + applied.Stderr);
        foreach (var (agent, doubles, arch) in _nodes)
        {
            var kubeadm = doubles.Calls("kubeadm");
            Assert.Equal([agent.Name == "cp1" ? $"upgrade apply {To} -y" : "upgrade node"], kubeadm.Where(c => c.StartsWith("upgrade", StringComparison.Ordinal)));
            Assert.Single(doubles.Calls("systemctl"), c => c == "restart kubelet.service");
            Assert.Equal(To, KubeletVersion(agent.Name));
            Assert.Equal(arch switch { "amd64" => Fleet.Agent.Steps.ElfMachine.X86_64, "arm64" => Fleet.Agent.Steps.ElfMachine.AArch64, _ => Fleet.Agent.Steps.ElfMachine.Arm }, Fleet.Agent.Steps.ElfMachine.Read(Path.Join(agent.Root, "usr/bin/kubelet")));
        }

        Assert.Contains(_kube.Evictions, e => e.Pod == "web-pi1");
        Assert.DoesNotContain(_kube.Evictions, e => e.Pod == "kube-proxy-pi1");
        Assert.All(new[] { "cp1", "odroid1", "pi1" }, n => Assert.True(_kube.Node(n)!["spec"]?["unschedulable"] is null || !(bool)_kube.Node(n)!["spec"]!["unschedulable"]!, $"{n} is schedulable again"));
        Assert.True((bool)_kube.Node("pi2")!["spec"]!["unschedulable"]!, "the operator's cordon on pi2 stays");
        var logs = (await CtlAsync("rollout", "logs", "r1")).Stdout;
        Assert.Contains("kubernetes: cordon pi2: AlreadyCordonedByOperator", logs);
        Assert.Contains("kubernetes: uncordon pi2: LeftCordonedByOperator", logs);
        Assert.Contains("kubernetes: drain pi1: evicted 1 pod(s) (default/web-pi1); skipped 1", logs);
        var order = logs.Split('\n');
        var cpDone = Array.FindIndex(order, l => l.Contains("cp1: step 11/11 uncordon cp1: succeeded", StringComparison.Ordinal));
        var workersStart = Array.FindIndex(order, l => l.Contains("batch 2 of 3", StringComparison.Ordinal));
        Assert.True(cpDone >= 0 && cpDone < workersStart, "the control plane finished before the workers started");
    }

    private async Task<(TestAgent Agent, TestDoubles Doubles, string Arch)> NodeAsync(string name, string machine, string arch, bool controlPlane = false, bool inCluster = true)
    {
        var root = _dir.Combine(name);
        var doubles = new TestDoubles(_dir.Combine($"{name}-doubles"), root);
        var agent = new TestAgent(name, _coordinator.AgentUri, root) { Machine = machine };
        agent.Options.KubeadmPath = doubles.Kubeadm;
        agent.Options.SystemctlPath = doubles.Systemctl;
        await agent.EnrollAsync(await _coordinator.CreateTokenAsync(uses: 1), _coordinator.CaPin);
        await agent.StartAsync();
        _nodes.Add((agent, doubles, arch));
        if (inCluster)
        {
            _kube.AddNode(name, arch, From, labels: controlPlane ? new Dictionary<string, string> { [KubeLabels.ControlPlane] = "" } : null);
        }

        await Eventually.Until(async () => (await Fleetctl.NodesAsync(_coordinator.Socket)).Any(n => n.Str("name") == name && n.GetProperty("connected").GetBoolean()), ok => ok, $"{name} is connected");
        return _nodes[^1];
    }

    /// <summary>The kubelets: a joined node registers, Ready at the version it was given; a restarted kubelet reports the binary's new version.</summary>
    private async Task RunKubeletsAsync(CancellationToken ct)
    {
        var restarted = new HashSet<string>();
        while (!ct.IsCancellationRequested)
        {
            foreach (var (agent, doubles, arch) in _nodes)
            {
                if (_kube.Node(agent.Name) is null && doubles.Calls("kubeadm").Any(c => c.StartsWith("join", StringComparison.Ordinal)))
                {
                    _kube.AddNode(agent.Name, arch, From);
                }

                if (!restarted.Contains(agent.Name) && doubles.Calls("systemctl").Contains("restart kubelet.service"))
                {
                    restarted.Add(agent.Name);
                    _kube.SetNodeStatus(agent.Name, ready: true, To);
                }
            }

            await Task.Delay(100, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private string KubeletVersion(string node) => (string)_kube.Node(node)!["status"]!["nodeInfo"]!["kubeletVersion"]!;

    private string CaHash()
    {
        using var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(_kube.CaCertificate.RawData);
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(ca.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    private async Task<string> DataFolderTextAsync()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(_coordinator.Options.DataDir, "*", SearchOption.AllDirectories))
        {
            text.Append(Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)));
        }

        return text.ToString();
    }

    private async Task ApplyCatalogAsync()
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("components:");
        yaml.AppendLine("  cni-plugins:");
        yaml.AppendLine("    kind: cni-plugins");
        yaml.AppendLine($"    url: {_artifacts.BaseUrl}/files/cni-plugins-{{os}}-{{arch}}-{{version}}.tgz");
        yaml.AppendLine($"    versions:\n      {Fixtures.CniVersion}:");
        foreach (var arch in new[] { "amd64", "arm64", "arm" })
        {
            yaml.AppendLine($"        {arch}: {{ sha256: {Fixtures.Sha256(Fixtures.CniTarball(arch))} }}");
        }

        foreach (var component in new[] { "kubeadm", "kubelet", "kubectl" })
        {
            // Debian's real per-arch kubectl executables stand in for kubeadm and kubelet (there is no v1.12 build here).
            yaml.AppendLine($"  {component}:");
            yaml.AppendLine("    kind: binary");
            yaml.AppendLine($"    url: {_artifacts.BaseUrl}/files/kubectl/{{arch}}/kubectl");
            yaml.AppendLine("    versions:");
            foreach (var version in new[] { From, To })
            {
                yaml.AppendLine($"      {version}:");
                foreach (var arch in new[] { "amd64", "arm64", "arm" })
                {
                    yaml.AppendLine($"        {arch}: {{ sha256: {Fixtures.Sha256(Fixtures.Kubectl(arch))} }}");
                }
            }
        }

        var file = _dir.Combine("catalog.yaml");
        await File.WriteAllTextAsync(file, yaml.ToString());
        var result = await CtlAsync("catalog", "apply", "-f", file);
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    private async Task<string> PlanAsync(string yaml)
    {
        var file = _dir.Combine($"plan-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml);
        return file;
    }

    private Task<Fleetctl.Result> CtlAsync(params string[] args) => Fleetctl.RunAsync([.. args, "--socket", _coordinator.Socket]);
}

using System.Text;
using Fleet.Testing;

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
    private KubernetesRolloutHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await KubernetesRolloutHarness.StartAsync(From);
        await ApplyCatalogAsync();
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Join_MakesAJustInTimeToken_RunsKubeadmJoin_WaitsForReady_AndDeletesTheToken()
    {
        var (pi, doubles, _) = await _h.NodeAsync("pi1", "aarch64", "arm64", inCluster: false);
        _h.RunKubelets([To]);

        var applied = await _h.CtlAsync("rollout", "apply", "--watch", "-f", await _h.PlanFileAsync($$"""
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
        Assert.Null(_h.Kube.Secret("kube-system", $"bootstrap-token-{token.Groups[1].Value}")); // deleted after the join
        Assert.Contains($"secrets kube-system/bootstrap-token-{token.Groups[1].Value}", string.Join("\n", _h.Kube.Deletions));
        foreach (var binary in new[] { "kubeadm", "kubelet", "kubectl" })
        {
            Assert.Equal(Fleet.Agent.Steps.ElfMachine.AArch64, Fleet.Agent.Steps.ElfMachine.Read(Path.Join(pi.Root, "usr/bin", binary)));
        }

        var logs = (await _h.CtlAsync("rollout", "logs", "r1")).Stdout + string.Join("\n", _h.Coordinator.Logs.Messages) + string.Join("\n", pi.Logs.Messages);
        Assert.Contains($"kubernetes: created bootstrap token {token.Groups[1].Value}.<redacted>", logs);
        Assert.Contains($"kubernetes: deleted bootstrap token {token.Groups[1].Value}", logs);
        Assert.Contains("kubernetes: pi1 is Ready, kubelet v1.12.0", logs);
        Assert.DoesNotContain(token.Groups[2].Value, logs);
        Assert.DoesNotContain(token.Groups[2].Value, await DataFolderTextAsync());
    }

    [Fact]
    public async Task Upgrade_OverAMixedFleet_ControlPlaneFirstThenWorkersInBatches_EachStepOnce()
    {
        // cp1's etcd: a real one, with kubeadm's client certificate under cp1's root, snapshotted by the recipe's default step.
        using var pki = Fleet.Testing.Etcd.EtcdPki.Create(_h.Dir.Combine("etcd-pki"));
        await using var etcd = await Fleet.Testing.Etcd.EtcdServer.StartAsync(pki);
        await etcd.PutAsync("/registry/namespaces/default", "before-the-upgrade");
        var cp1 = await _h.NodeAsync("cp1", "x86_64", "amd64", controlPlane: true);
        pki.WriteClientSet(Path.Join(cp1.Agent.Root, "etc/kubernetes/pki/etcd"));
        await _h.NodeAsync("odroid1", "armv7l", "arm");
        await _h.NodeAsync("pi1", "aarch64", "arm64");
        await _h.NodeAsync("pi2", "aarch64", "arm64");
        _h.Kube.AddPod("default", "web-pi1", "pi1", ownerKind: "ReplicaSet");
        _h.Kube.AddPod("kube-system", "kube-proxy-pi1", "pi1", ownerKind: "DaemonSet");
        _h.Kube.CordonAsOperator("pi2"); // an operator's cordon: Fleet must leave it
        _h.RunKubelets([To]);

        var plan = await _h.PlanFileAsync($$"""
            name: upgrade
            target: {}
            strategy: { batchSize: 2 }
            recipe:
              upgrade-kubernetes: { version: {{To}}, etcd: { endpoint: "{{etcd.Endpoint}}" } }
            """);
        var dry = await _h.CtlAsync("rollout", "plan", "-f", plan);
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains("batch 1: cp1", dry.Stdout);
        Assert.Contains($"etcd snapshot of {etcd.Endpoint} into /var/lib/fleet-agent/etcd-snapshots (newest 3 kept)", dry.Stdout);
        Assert.Contains("batch 2: odroid1, pi1", dry.Stdout);
        Assert.Contains("batch 3: pi2", dry.Stdout);
        Assert.Contains("kubeadm upgrade apply v1.12.5 -y", dry.Stdout);
        Assert.Contains($"{_h.Artifacts.BaseUrl}/files/{Fixtures.Kubectl("arm")}", dry.Stdout);

        var applied = await _h.CtlAsync("rollout", "apply", "--watch", "-f", plan);

        Assert.True(applied.ExitCode == 0, applied.Stdout + applied.Stderr);
        foreach (var (agent, doubles, arch) in _h.Nodes)
        {
            var kubeadm = doubles.Calls("kubeadm");
            Assert.Equal([agent.Name == "cp1" ? $"upgrade apply {To} -y" : "upgrade node"], kubeadm.Where(c => c.StartsWith("upgrade", StringComparison.Ordinal)));
            Assert.Single(doubles.Calls("systemctl"), c => c == "restart kubelet.service");
            Assert.Equal(To, _h.KubeletVersion(agent.Name));
            Assert.Equal(arch switch { "amd64" => Fleet.Agent.Steps.ElfMachine.X86_64, "arm64" => Fleet.Agent.Steps.ElfMachine.AArch64, _ => Fleet.Agent.Steps.ElfMachine.Arm }, Fleet.Agent.Steps.ElfMachine.Read(Path.Join(agent.Root, "usr/bin/kubelet")));
        }

        Assert.Contains(_h.Kube.Evictions, e => e.Pod == "web-pi1");
        Assert.DoesNotContain(_h.Kube.Evictions, e => e.Pod == "kube-proxy-pi1");
        Assert.All(new[] { "cp1", "odroid1", "pi1" }, n => Assert.True(_h.Kube.Node(n)!["spec"]?["unschedulable"] is null || !(bool)_h.Kube.Node(n)!["spec"]!["unschedulable"]!, $"{n} is schedulable again"));
        Assert.True((bool)_h.Kube.Node("pi2")!["spec"]!["unschedulable"]!, "the operator's cordon on pi2 stays");
        var logs = (await _h.CtlAsync("rollout", "logs", "r1")).Stdout;
        Assert.Contains("kubernetes: cordon pi2: AlreadyCordonedByOperator", logs);
        Assert.Contains("kubernetes: uncordon pi2: LeftCordonedByOperator", logs);
        Assert.Contains("kubernetes: drain pi1: evicted 1 pod(s) (default/web-pi1); skipped 1", logs);
        var order = logs.Split('\n');
        var cpDone = Array.FindIndex(order, l => l.Contains("cp1: step 12/12 uncordon cp1: succeeded", StringComparison.Ordinal));
        var workersStart = Array.FindIndex(order, l => l.Contains("batch 2 of 3", StringComparison.Ordinal));
        Assert.True(cpDone >= 0 && cpDone < workersStart, "the control plane finished before the workers started");
        var snapshot = Assert.Single(Directory.GetFiles(Path.Join(cp1.Agent.Root, "var/lib/fleet-agent/etcd-snapshots"), "*-r1.db"));
        Assert.True(File.Exists(snapshot + ".sha256"));
        Assert.True(
            Array.FindIndex(order, l => l.Contains($"cp1: step 2/12 etcd snapshot of {etcd.Endpoint}", StringComparison.Ordinal) && l.Contains("succeeded", StringComparison.Ordinal))
                < Array.FindIndex(order, l => l.Contains("cp1: step 3/12 download kubeadm", StringComparison.Ordinal)),
            string.Join("\n", order));
        await using var restored = await Fleet.Testing.Etcd.EtcdServer.RestoreAsync(pki, snapshot);
        Assert.Equal("before-the-upgrade", await restored.GetAsync("/registry/namespaces/default"));
    }

    private string CaHash()
    {
        using var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(_h.Kube.CaCertificate.RawData);
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(ca.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    private async Task<string> DataFolderTextAsync()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(_h.Coordinator.Options.DataDir, "*", SearchOption.AllDirectories))
        {
            text.Append(Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)));
        }

        return text.ToString();
    }

    /// <summary>The CNI plugins at <see cref="Fixtures.CniVersion"/>, and kubeadm, kubelet and kubectl at v1.12.0 and v1.12.5, for amd64, arm64 and arm.</summary>
    private async Task ApplyCatalogAsync()
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("components:");
        yaml.AppendLine("  cni-plugins:");
        yaml.AppendLine("    kind: cni-plugins");
        yaml.AppendLine($"    url: {_h.Artifacts.BaseUrl}/files/cni-plugins-{{os}}-{{arch}}-{{version}}.tgz");
        yaml.AppendLine($"    versions:\n      {Fixtures.CniVersion}:");
        foreach (var arch in new[] { "amd64", "arm64", "arm" })
        {
            yaml.AppendLine($"        {arch}: {{ sha256: {Fixtures.Sha256(Fixtures.CniTarball(arch))} }}");
        }

        yaml.Append(_h.BinariesCatalog([From, To]));
        await _h.ApplyCatalogAsync(yaml.ToString());
    }
}

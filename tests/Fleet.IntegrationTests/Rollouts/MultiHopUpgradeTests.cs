using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// A two-hop upgrade (v1.12.0 to v1.14.2 through v1.13.4) end to end through fleetctl: the real coordinator talking
/// to the Kubernetes API double, real agents running the kubeadm and systemctl doubles, real multi-arch binaries over
/// HTTP. The "cluster" moves as a real one would: the API server reports the version the first control-plane node's
/// `kubeadm upgrade apply` set, and a restarted kubelet reports the version of its hop.
/// </summary>
public sealed class MultiHopUpgradeTests : IAsyncLifetime
{
    private const string From = "v1.12.0";
    private const string Hop = "v1.13.4";
    private const string To = "v1.14.2";
    private KubernetesRolloutHarness _h = null!;

    public async Task InitializeAsync() => _h = await KubernetesRolloutHarness.StartAsync(From);

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task TwoHops_PlanShowsEachPhase_AndEveryNodeReachesTheHopBeforeAnyGoesOn()
    {
        await ApplyCatalogAsync(armHasKubeletOfHop: true);
        await FleetAsync();

        var plan = await PlanAsync("strategy: { batchSize: 2 }");
        var dry = await _h.CtlAsync("rollout", "plan", "-f", plan);
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains($"upgrade-kubernetes {To} on 3 node(s) in 4 batch(es) in 2 phases", dry.Stdout);
        Assert.Contains($"phases: {Hop} -> {To}", dry.Stdout);
        Assert.Contains($"phase 1 of 2: {Hop}, batches 1-2 (the newest v1.13 patch that serves every targeted arch; v1.13.5 has no arm build of kubeadm, arm build of kubelet, arm build of kubectl)", dry.Stdout);
        Assert.Contains($"phase 2 of 2: {To}, batches 3-4", dry.Stdout);
        Assert.Contains("batch 3: cp1", dry.Stdout);
        Assert.Contains("batch 4: odroid1, pi1", dry.Stdout);
        Assert.Contains($"kubeadm upgrade apply {Hop} -y", dry.Stdout);
        Assert.Contains($"kubeadm upgrade apply {To} -y", dry.Stdout);
        Assert.Contains("   22. uncordon pi1", dry.Stdout);

        var applied = await _h.CtlAsync("rollout", "apply", "--watch", "-f", plan);

        Assert.True(applied.ExitCode == 0, applied.Stdout + applied.Stderr);
        foreach (var (agent, doubles, _) in _h.Nodes)
        {
            Assert.Equal(agent.Name == "cp1" ? [$"upgrade apply {Hop} -y", $"upgrade apply {To} -y"] : ["upgrade node", "upgrade node"], doubles.Calls("kubeadm").Where(c => c.StartsWith("upgrade", StringComparison.Ordinal)));
            Assert.Equal(2, doubles.Calls("systemctl").Count(c => c == "restart kubelet.service"));
            Assert.Equal(To, _h.KubeletVersion(agent.Name));
        }

        Assert.Equal(To, _h.Kube.ServerVersion);

        // Each kubelet restarted at a hop only once the control plane was at that hop, and every node reached v1.13.4 before any went on.
        var restarts = _h.Restarts;
        Assert.Equal(
            [$"cp1 -> {Hop} (API server at {Hop})", $"odroid1 -> {Hop} (API server at {Hop})", $"pi1 -> {Hop} (API server at {Hop})", $"cp1 -> {To} (API server at {To})", $"odroid1 -> {To} (API server at {To})", $"pi1 -> {To} (API server at {To})"],
            [.. restarts[..1], .. restarts[1..3].Order(StringComparer.Ordinal), restarts[3], .. restarts[4..].Order(StringComparer.Ordinal)]);

        var logs = (await _h.CtlAsync("rollout", "logs", "r1")).Stdout.Split('\n');
        var phase2 = Array.FindIndex(logs, l => l.Contains($"phase 2 of 2 ({To}): every node finished phase 1; starting", StringComparison.Ordinal));
        Assert.True(phase2 > Array.FindLastIndex(logs, l => l.Contains("step 11/22 uncordon", StringComparison.Ordinal)), string.Join("\n", logs));
        Assert.True(phase2 < Array.FindIndex(logs, l => l.Contains("step 12/22", StringComparison.Ordinal)), string.Join("\n", logs));
        var get = await _h.CtlAsync("rollout", "get", "r1");
        Assert.Contains($"batch 4 of 4, phase 2 of 2 ({To})", get.Stdout);
    }

    [Fact]
    public async Task ANodeFailingPhaseOne_PausesBeforePhaseTwo_ShowsWhoIsWaiting_AndResumeFinishes()
    {
        await ApplyCatalogAsync(armHasKubeletOfHop: true);
        await FleetAsync();
        var pi1 = _h.Nodes.Single(n => n.Agent.Name == "pi1").Doubles;
        pi1.Fail("kubeadm", 1, "[upgrade/node] FATAL: the double was told to fail");

        var id = RolloutHarness.IdFrom(await _h.CtlAsync("rollout", "apply", "-f", await PlanAsync("strategy: { batchSize: 1, failureThreshold: 2 }")));
        var paused = await Eventually.Until(() => _h.CtlAsync("rollout", "get", id), r => r.Stdout.Contains(", paused", StringComparison.Ordinal), $"rollout {id} is paused", TimeSpan.FromSeconds(60));

        Assert.Contains($"phase 2 of 2 ({To}) cannot start: phase 1 did not finish on pi1 (failed: step 3 (kubeadm upgrade node): ", paused.Stdout);
        Assert.Contains("phase 1 of 2 done, waiting for the other nodes", paused.Stdout); // cp1 and odroid1, between phases
        Assert.Equal(Hop, _h.Kube.ServerVersion);
        Assert.Equal(["upgrade node"], _h.Nodes.Single(n => n.Agent.Name == "odroid1").Doubles.Calls("kubeadm").Where(c => c.StartsWith("upgrade", StringComparison.Ordinal)));

        pi1.Succeed("kubeadm");
        Assert.Equal(0, (await _h.CtlAsync("rollout", "resume", id)).ExitCode);
        var done = await Eventually.Until(() => _h.CtlAsync("rollout", "get", id, "-o", "json"), r => r.Stdout.Contains("\"state\": \"succeeded\"", StringComparison.Ordinal) && !r.Stdout.Contains("\"state\": \"running\"", StringComparison.Ordinal), $"rollout {id} succeeded", TimeSpan.FromSeconds(90));

        Assert.Contains("\"currentPhase\": 2", done.Stdout);
        Assert.All(_h.Nodes, n => Assert.Equal(To, _h.KubeletVersion(n.Agent.Name)));
        Assert.Equal(To, _h.Kube.ServerVersion);
    }

    [Fact]
    public async Task NoKubeletOfTheHopForAnArch_IsRefusedAtPlan_NamingTheArchAndNodes_AndNothingIsTouched()
    {
        await ApplyCatalogAsync(armHasKubeletOfHop: false);
        await FleetAsync(startKubelets: false);
        var plan = await PlanAsync("strategy: { batchSize: 2 }");

        var dry = await _h.CtlAsync("rollout", "plan", "-f", plan);
        var applied = await _h.CtlAsync("rollout", "apply", "-f", plan);

        Assert.NotEqual(0, dry.ExitCode);
        Assert.Contains("v1.13: no kubelet build for arm in the catalog: odroid1", dry.Stderr);
        Assert.NotEqual(0, applied.ExitCode);
        Assert.Contains("v1.13: no kubelet build for arm in the catalog: odroid1", applied.Stderr);
        Assert.Contains("No rollouts", (await _h.CtlAsync("rollout", "list")).Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.All(_h.Nodes, n => Assert.Empty(n.Doubles.Calls("kubeadm")));
    }

    /// <summary>cp1 (amd64, control plane), odroid1 (arm) and pi1 (arm64), all at v1.12.0.</summary>
    private async Task FleetAsync(bool startKubelets = true)
    {
        await _h.NodeAsync("cp1", "x86_64", "amd64", controlPlane: true);
        await _h.NodeAsync("odroid1", "armv7l", "arm");
        await _h.NodeAsync("pi1", "aarch64", "arm64");
        if (startKubelets)
        {
            // The cluster moves as a real one would: `kubeadm upgrade apply vX` moves the API server to vX, and the n-th kubelet restart reports the n-th hop's version.
            _h.RunKubelets([Hop, To], apiServerFollowsUpgradeApply: true);
        }
    }

    /// <summary>kubeadm, kubelet and kubectl at v1.12.0, v1.13.4, v1.13.5 (no arm build: passed over) and v1.14.2, for amd64, arm64
    /// and arm (Debian's real per-arch kubectl executables stand in for all three); without <paramref name="armHasKubeletOfHop"/>,
    /// no v1.13 kubelet for arm at all.</summary>
    private Task ApplyCatalogAsync(bool armHasKubeletOfHop) =>
        _h.ApplyCatalogAsync("components:\n" + _h.BinariesCatalog(
            [From, Hop, "v1.13.5", To],
            (component, version, arch) => arch != "arm" || version is From or To || (version == Hop && (armHasKubeletOfHop || component != "kubelet"))));

    private Task<string> PlanAsync(string strategy) => _h.PlanFileAsync($$"""
        name: two-hops
        target: {}
        {{strategy}}
        recipe:
          upgrade-kubernetes: { version: {{To}}, etcdSnapshot: false }
        """); // the snapshot before each hop's apply: EtcdSnapshotRolloutTests and RolloutPhasesTests
}

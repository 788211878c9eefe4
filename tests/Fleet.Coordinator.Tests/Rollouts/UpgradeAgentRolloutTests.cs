using System.Collections.Concurrent;
using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>
/// The upgrade-agent recipe planned by the real preflight, stored in SQLite and driven by the engine over scripted agents:
/// per node one upgrade-agent step resolved for the node's own arch (the new package and the one it runs now), refused at
/// preflight when either is not served or the node's version is unknown; a rolled-back answer ends the node rolled-back,
/// counted toward the failure threshold; batches, canary and onFailure apply as to any rollout.
/// </summary>
public sealed class UpgradeAgentRolloutTests : IAsyncLifetime
{
    private static readonly string ShaNew64 = new('a', 64);
    private static readonly string ShaNewArm64 = new('b', 64);
    private static readonly string ShaNewArm = new('c', 64);
    private static readonly string ShaOld64 = new('d', 64);
    private static readonly string ShaOldArm64 = new('e', 64);
    private static readonly string ShaOldArm = new('f', 64);

    private const string RolledBackReason = "rolled back to fleet-agent 0.1.0: fleet-agent 0.9.1 did not connect and report its version within 2m (fleet-agent.service: failed, exit status 2, 0 restarts)";

    private readonly ConcurrentQueue<(string Node, StepRequest Request)> _sent = new();
    private RolloutRig _rig = null!;

    public async Task InitializeAsync()
    {
        _rig = await RolloutRig.StartAsync(["w1", "w2", "w3"]);
        await _rig.ApplyCatalogAsync($$"""
            components:
              fleet-agent:
                kind: deb
                url: "https://pkg.example/fleet-agent_{version}_{arch}.deb"
                versions:
                  "0.1.0":
                    amd64: { sha256: {{ShaOld64}} }
                    arm64: { sha256: {{ShaOldArm64}} }
                    arm: { url: "https://pkg.example/fleet-agent_0.1.0_armhf.deb", sha256: {{ShaOldArm}} }
                  "0.9.1":
                    amd64: { sha256: {{ShaNew64}} }
                    arm64: { sha256: {{ShaNewArm64}} }
                    arm: { url: "https://pkg.example/fleet-agent_0.9.1_armhf.deb", sha256: {{ShaNewArm}} }
                  "0.9.2":
                    amd64: { sha256: {{ShaNew64}} }
              kubelet: { kind: binary, url: "https://dl.example/{version}/{arch}/kubelet", versions: { v1.12.5: { amd64: { sha256: {{ShaNew64}} } } } }
            """);
    }

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    private static string Plan(string strategy = "", string recipe = "{ version: \"0.9.1\" }") =>
        $"target: {{}}\n{(strategy.Length > 0 ? $"strategy: {strategy}\n" : "")}recipe:\n  upgrade-agent: {recipe}\n";

    /// <summary>Every agent answers with <paramref name="answer"/> (default: succeeded, as the new agent would); every request is recorded.</summary>
    private void Respond(Func<string, StepRequest, StepResult?>? answer = null)
    {
        foreach (var agent in _rig.Agents)
        {
            agent.Respond = request =>
            {
                _sent.Enqueue((agent.Name, request));
                return answer is null ? Succeeded() : answer(agent.Name, request);
            };
        }
    }

    private static StepResult Succeeded() => new() { Outcome = StepOutcome.Succeeded, Reason = "fleet-agent 0.1.0 → 0.9.1, confirmed after 7 s" };

    private static StepResult RolledBack() => new() { Outcome = StepOutcome.Failed, RolledBack = true, Reason = RolledBackReason };

    private async Task<List<string>> RefusedAsync(string yaml)
    {
        var (view, problems) = await _rig.Engine.PlanAsync(yaml, CancellationToken.None).DefaultTimeout();
        Assert.Null(view);
        return problems;
    }

    [Fact]
    public async Task Plan_OneStepPerNode_NoCordonDrainPrefetchOrWaitReady_FromAndToVersions()
    {
        var (view, problems) = await _rig.Engine.PlanAsync(Plan(), CancellationToken.None).DefaultTimeout();

        Assert.True(view is not null, string.Join("; ", problems));
        Assert.Equal("upgrade-agent 0.9.1", view.Recipe);
        Assert.All(view.Nodes, n =>
        {
            var step = Assert.Single(n.Steps);
            Assert.Equal(StepKinds.UpgradeAgent, step.Kind);
            Assert.Equal("upgrade fleet-agent 0.1.0 → 0.9.1 (amd64); must report within 2m", step.Description);
            Assert.Equal(("https://pkg.example/fleet-agent_0.9.1_amd64.deb", ShaNew64), (step.Url, step.Sha256));
            Assert.Equal(("0.1.0", "0.9.1"), (n.FromVersion, n.ToVersion));
        });
        Assert.Empty(_rig.Cluster.Calls); // the Kubernetes API is not even asked: nothing of an agent upgrade needs it
    }

    [Fact]
    public async Task Plan_MixedArchFleet_AllServed_EachNodeGetsItsOwnArchsPackages()
    {
        await _rig.SetFactsAsync("w2", Arch.Arm64, "0.1.0");
        await _rig.SetFactsAsync("w3", Arch.Arm, "0.1.0+4f2a1c"); // a build suffix: the package version is before it
        Respond();

        var id = await _rig.ApplyAsync(Plan("{ batchSize: 3 }", "{ version: 0.9.1, deadline: 30s }"));
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        var byNode = _sent.ToDictionary(s => s.Node, s => s.Request.UpgradeAgent);
        Assert.Equal(
            (new AgentPackage { Url = "https://pkg.example/fleet-agent_0.9.1_arm64.deb", Sha256 = ShaNewArm64, Version = "0.9.1", Arch = Arch.Arm64, MaxBytes = 1L << 30, Kind = AgentPackageKind.Deb },
             new AgentPackage { Url = "https://pkg.example/fleet-agent_0.1.0_arm64.deb", Sha256 = ShaOldArm64, Version = "0.1.0", Arch = Arch.Arm64, MaxBytes = 1L << 30, Kind = AgentPackageKind.Deb }),
            (byNode["w2"].Package, byNode["w2"].Previous));
        Assert.Equal(
            (new AgentPackage { Url = "https://pkg.example/fleet-agent_0.9.1_armhf.deb", Sha256 = ShaNewArm, Version = "0.9.1", Arch = Arch.Arm, MaxBytes = 1L << 30, Kind = AgentPackageKind.Deb },
             new AgentPackage { Url = "https://pkg.example/fleet-agent_0.1.0_armhf.deb", Sha256 = ShaOldArm, Version = "0.1.0", Arch = Arch.Arm, MaxBytes = 1L << 30, Kind = AgentPackageKind.Deb }),
            (byNode["w3"].Package, byNode["w3"].Previous));
        Assert.Equal((ShaNew64, ShaOld64, Arch.Amd64), (byNode["w1"].Package.Sha256, byNode["w1"].Previous.Sha256, byNode["w1"].Package.Arch));
        Assert.All(byNode.Values, s => Assert.Equal(TimeSpan.FromSeconds(30), s.Deadline.ToTimeSpan()));
        var stored = await _rig.StoredAsync(id);
        Assert.Equal(["0.1.0 → 0.9.1 (arm)"], stored.Nodes.Where(n => n.Name == "w3").Select(n => $"{n.FromVersion} → {n.ToVersion} ({n.Arch.ToName()})"));
        Assert.Equal("upgrade fleet-agent 0.1.0 → 0.9.1 (arm); must report within 30s", stored.Nodes.Single(n => n.Name == "w3").Steps.Single().Description);
    }

    [Fact]
    public async Task Request_CarriesPackagePreviousDeadline_AndTimeoutIsDownloadPlusDeadlinePlusTwoMinutes()
    {
        Respond();

        var id = await _rig.ApplyAsync(Plan("{ batchSize: 3, timeouts: { download: 5m } }", "{ version: 0.9.1, deadline: 90s }"));
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        var request = _sent.Single(s => s.Node == "w1").Request;
        Assert.Equal(StepRequest.StepOneofCase.UpgradeAgent, request.StepCase);
        Assert.Equal(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(90) + TimeSpan.FromMinutes(2), request.Timeout.ToTimeSpan());
        Assert.Equal(id, request.RolloutId);
        Assert.Equal(("https://pkg.example/fleet-agent_0.9.1_amd64.deb", "0.9.1", 1L << 30), (request.UpgradeAgent.Package.Url, request.UpgradeAgent.Package.Version, request.UpgradeAgent.Package.MaxBytes));
        Assert.Equal(("https://pkg.example/fleet-agent_0.1.0_amd64.deb", "0.1.0"), (request.UpgradeAgent.Previous.Url, request.UpgradeAgent.Previous.Version));
        Assert.Equal(TimeSpan.FromSeconds(90), request.UpgradeAgent.Deadline.ToTimeSpan());
        Assert.All(_sent, s => Assert.Equal(StepRequest.StepOneofCase.UpgradeAgent, s.Request.StepCase)); // one step, nothing else
        Assert.Equal(3, _sent.Count);
        Assert.Empty(_rig.Cluster.Calls); // no cordon, drain, readiness or uncordon
    }

    [Fact]
    public async Task DefaultTimeout_Is14Minutes()
    {
        Respond();

        var id = await _rig.ApplyAsync(Plan("{ batchSize: 3 }"));
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        Assert.All(_sent, s => Assert.Equal(TimeSpan.FromMinutes(14), s.Request.Timeout.ToTimeSpan()));
        Assert.All(_sent, s => Assert.Equal(TimeSpan.FromMinutes(2), s.Request.UpgradeAgent.Deadline.ToTimeSpan()));
    }

    [Fact]
    public async Task Succeeded_NodeSucceeded_WithTheAgentsReason()
    {
        Respond();

        var id = await _rig.ApplyAsync(Plan());
        var done = await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        Assert.All(done.Nodes, n => Assert.Equal(RolloutNodeState.Succeeded, n.State));
        Assert.All(done.Nodes, n => Assert.Equal("fleet-agent 0.1.0 → 0.9.1, confirmed after 7 s", n.Steps.Single().Reason));
        Assert.Equal([1, 2, 3], done.Nodes.Select(n => n.Batch)); // batches of one, as any rollout's default
    }

    [Fact]
    public async Task RolledBack_NodeRolledBack_WithTheReason_AndThePauseAtTheThreshold()
    {
        Respond((node, _) => node == "w1" ? RolledBack() : Succeeded());

        var id = await _rig.ApplyAsync(Plan());
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);

        var w1 = paused.Nodes.Single(n => n.Name == "w1");
        Assert.Equal(RolloutNodeState.RolledBack, w1.State);
        Assert.Equal($"step 1 (upgrade fleet-agent 0.1.0 → 0.9.1 (amd64); must report within 2m): {RolledBackReason}", w1.Error);
        Assert.Equal(RolloutStepState.Failed, w1.Steps.Single().State);
        Assert.Equal(RolledBackReason, w1.Steps.Single().Reason);
        Assert.All(paused.Nodes.Where(n => n.Name != "w1"), n => Assert.Equal(RolloutNodeState.Pending, n.State)); // the threshold (1) stopped the rollout
        Assert.StartsWith("failure threshold reached (1 of 3 node(s) failed, threshold 1): w1: step 1", paused.Reason, StringComparison.Ordinal);
        Assert.Contains("rolled-back nodes are finished", paused.Reason, StringComparison.Ordinal);
        Assert.Equal(RolloutNodeState.RolledBack, (await _rig.StoredAsync(id)).Nodes.Single(n => n.Name == "w1").State); // stored
    }

    [Fact]
    public async Task RolledBack_BelowTheThreshold_TheRestGoOn_TheRolloutEndsFailed()
    {
        Respond((node, _) => node == "w2" ? RolledBack() : Succeeded());

        var id = await _rig.ApplyAsync(Plan("{ failureThreshold: 2 }"));
        var failed = await _rig.WaitForStateAsync(id, RolloutState.Failed);

        Assert.Equal([RolloutNodeState.Succeeded, RolloutNodeState.RolledBack, RolloutNodeState.Succeeded], failed.Nodes.Select(n => n.State));
        Assert.Equal("finished; 1 of 3 node(s) failed: w2", failed.Reason);
    }

    [Fact]
    public async Task RolledBackCanary_WithOnFailureAbort_StopsTheRest()
    {
        Respond((node, _) => node == "w1" ? RolledBack() : Succeeded());

        var id = await _rig.ApplyAsync(Plan("{ canary: 1, batchSize: 2, onFailure: abort }"));
        var failed = await _rig.WaitForStateAsync(id, RolloutState.Failed);

        Assert.Equal([1, 2, 2], failed.Nodes.Select(n => n.Batch)); // the canary is a batch of its own
        Assert.Equal([RolloutNodeState.RolledBack, RolloutNodeState.Skipped, RolloutNodeState.Skipped], failed.Nodes.Select(n => n.State));
        Assert.Equal(["w1"], _sent.Select(s => s.Node));
    }

    [Fact]
    public async Task OtherFailure_WithoutRolledBack_IsAPlainFailure()
    {
        Respond((node, _) => node == "w1" ? new StepResult { Outcome = StepOutcome.Failed, Reason = "sha256 of fleet-agent_0.9.1_amd64.deb is 00ff…, the catalog says aaaa…" } : Succeeded());

        var id = await _rig.ApplyAsync(Plan());
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);

        var w1 = paused.Nodes.Single(n => n.Name == "w1");
        Assert.Equal(RolloutNodeState.Failed, w1.State);
        Assert.EndsWith(": sha256 of fleet-agent_0.9.1_amd64.deb is 00ff…, the catalog says aaaa…", w1.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RolledBack_OfAnotherStep_IsNotBelieved_TheNodeIsFailed_AndUncordoned()
    {
        Respond((node, request) => node == "w1" && request.StepCase == StepRequest.StepOneofCase.Download ? RolledBack() : Succeeded());

        var id = await _rig.ApplyAsync("""
            target: { names: [w1] }
            strategy: { prefetch: false }
            steps:
              - cordon: {}
              - download: { component: kubelet, version: v1.12.5, dest: /usr/bin/kubelet }
              - uncordon: {}
            """);
        var paused = await _rig.WaitForStateAsync(id, RolloutState.Paused);

        var w1 = paused.Nodes.Single();
        Assert.Equal(RolloutNodeState.Failed, w1.State); // only upgrade-agent has a way back on the node
        Assert.Equal($"step 2 (download kubelet v1.12.5 (amd64) to /usr/bin/kubelet): {RolledBackReason}", w1.Error);
        Assert.False(_rig.Cluster.IsCordoned("w1")); // what Fleet cordoned is uncordoned, as after any failure
    }

    [Fact]
    public async Task CoordinatorRestart_MidStep_TheStoredStepIsSentAgain_Identically()
    {
        var first = new TaskCompletionSource<StepRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        Respond((node, request) =>
        {
            first.TrySetResult(request);
            return null; // the agent is restarting: no answer yet
        });
        var id = await _rig.ApplyAsync(Plan());
        var before = await first.Task.DefaultTimeout();

        await _rig.RestartAsync();
        var again = new TaskCompletionSource<StepRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        Respond((node, request) =>
        {
            again.TrySetResult(request);
            return Succeeded();
        });
        var resent = await again.Task.DefaultTimeout();

        Assert.Equal(before, resent); // read back from the store: same id, packages, deadline and timeout
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
    }

    [Fact]
    public async Task Preflight_UnservedArch_NamesNodeArchAndVersion()
    {
        await _rig.SetFactsAsync("w2", Arch.Arm, "0.1.0");

        var problems = await RefusedAsync(Plan(recipe: "{ version: 0.9.2 }"));

        Assert.Equal(["node w2 (arm): fleet-agent 0.9.2 is not in the catalog for arm"], problems);
    }

    [Fact]
    public async Task Preflight_UnservedCurrentVersion_NoWayBack()
    {
        await _rig.SetFactsAsync("w1", Arch.Amd64, "0.0.7");
        await _rig.SetFactsAsync("w3", Arch.Arm, "0.9.2"); // served for amd64 only

        var problems = await RefusedAsync(Plan());

        Assert.Equal(
        [
            "node w1 runs fleet-agent 0.0.7, which the catalog does not serve for amd64: no way back",
            "node w3 runs fleet-agent 0.9.2, which the catalog does not serve for arm: no way back",
        ], problems);
    }

    [Fact]
    public async Task Preflight_UnknownAgentVersion_IsRefused()
    {
        await _rig.SetFactsAsync("w3", Arch.Arm64, "");

        var problems = await RefusedAsync(Plan());

        Assert.Equal(["node w3 (arm64): its fleet-agent version is unknown (it reported none), so there is no known way back"], problems);
    }

    [Fact]
    public async Task Preflight_ListsEveryProblem_AtOnce()
    {
        await _rig.SetFactsAsync("w1", Arch.Arm, "0.0.7");
        await _rig.SetFactsAsync("w2", Arch.Arm64, "");

        var problems = await RefusedAsync(Plan(recipe: "{ version: 0.9.2 }"));

        Assert.Equal(
        [
            "node w1 (arm): fleet-agent 0.9.2 is not in the catalog for arm",
            "node w1 runs fleet-agent 0.0.7, which the catalog does not serve for arm: no way back",
            "node w2 (arm64): fleet-agent 0.9.2 is not in the catalog for arm64",
            "node w2 (arm64): its fleet-agent version is unknown (it reported none), so there is no known way back",
        ], problems);
    }

    [Fact]
    public async Task Preflight_AVersionTheCatalogDoesNotHave_IsRefusedForEveryNode()
    {
        var problems = await RefusedAsync(Plan(recipe: "{ version: 1.0.0 }"));

        Assert.Equal(new[] { "w1", "w2", "w3" }.Select(n => $"node {n} (amd64): fleet-agent 1.0.0 is not in the catalog for amd64"), problems);
    }

    [Fact]
    public async Task Preflight_AlreadyAtTheVersion_StillGetsTheStep()
    {
        await _rig.SetFactsAsync("w1", Arch.Amd64, "0.9.1");

        var (view, problems) = await _rig.Engine.PlanAsync(Plan(), CancellationToken.None).DefaultTimeout();

        Assert.True(view is not null, string.Join("; ", problems));
        Assert.Equal("upgrade fleet-agent 0.9.1 → 0.9.1 (amd64); must report within 2m", view.Nodes.Single(n => n.Name == "w1").Steps.Single().Description);
    }

    [Theory]
    [InlineData("steps:\n  - download: { component: fleet-agent, version: 0.9.1, dest: /usr/bin/fleet-agent }\n")]
    [InlineData("steps:\n  - install-cni: { component: fleet-agent, version: 0.9.1 }\n")]
    public async Task Preflight_DebInADownloadOrInstallCniStep_IsRefused(string steps)
    {
        var problems = await RefusedAsync($"target: {{}}\n{steps}");

        Assert.Contains(problems, p => p.StartsWith("fleet-agent is the agent's Debian package (kind deb): a ", StringComparison.Ordinal) && p.EndsWith(" step never installs it, and no prefetch stages it; upgrade the agent with the upgrade-agent recipe", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Preflight_DebBesideABinary_InOnePlan_IsRefused_SoNoPrefetchCarriesIt()
    {
        var problems = await RefusedAsync("target: {}\nsteps:\n  - download: { component: kubelet, version: v1.12.5, dest: /usr/bin/kubelet }\n  - download: { component: fleet-agent, version: 0.9.1, dest: /tmp/a.deb }\n");

        Assert.Equal(["fleet-agent is the agent's Debian package (kind deb): a download step never installs it, and no prefetch stages it; upgrade the agent with the upgrade-agent recipe"], problems);
    }

    [Fact]
    public async Task RolloutRollback_OfAnUpgradeAgentRollout_IsRefused()
    {
        Respond();
        var id = await _rig.ApplyAsync(Plan());
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        var ex = await Assert.ThrowsAsync<RolloutStateException>(() => new RollbackPlanner(_rig.Store, _rig.Cluster).PlanAsync(id, CancellationToken.None)).DefaultTimeout();

        Assert.Contains("apply upgrade-agent with the previous version", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith($"rollout {id} upgraded fleet-agent", ex.Message, StringComparison.Ordinal);
    }
}

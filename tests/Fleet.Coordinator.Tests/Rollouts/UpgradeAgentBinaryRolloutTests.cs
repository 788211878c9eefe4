using System.Collections.Concurrent;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>
/// The upgrade-agent recipe over a fleet whose agents are installed two ways (NodeFacts.agent_install), planned by the real
/// preflight, stored in SQLite and driven by the engine over scripted agents: a node installed from the .deb gets the
/// fleet-agent package (kind DEB) and its previous package; a node installed side by side gets the fleet-agent-binary
/// executable (kind BINARY) and no previous (its way back is on the node); a node installed neither way, or whose arch
/// fleet-agent-binary does not serve at the version, is refused at preflight, naming it.
/// </summary>
public sealed class UpgradeAgentBinaryRolloutTests : IAsyncLifetime
{
    private static readonly string ShaDeb64 = new('a', 64);
    private static readonly string ShaDebOld64 = new('b', 64);
    private static readonly string ShaBin64 = new('c', 64);
    private static readonly string ShaBinArm64 = new('d', 64);

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
                  "0.1.0": { amd64: { sha256: {{ShaDebOld64}} }, arm64: { sha256: {{ShaDebOld64}} } }
                  "0.9.1": { amd64: { sha256: {{ShaDeb64}} }, arm64: { sha256: {{ShaDeb64}} } }
              fleet-agent-binary:
                kind: binary
                url: "https://pkg.example/fleet-agent-{version}-linux-{arch}"
                versions:
                  "0.9.1": { amd64: { sha256: {{ShaBin64}} }, arm64: { sha256: {{ShaBinArm64}} } }
                  "0.9.2": { amd64: { sha256: {{ShaBin64}} } }
            """);
    }

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    private static string Plan(string version = "0.9.1", string strategy = "{ batchSize: 3 }") =>
        $"target: {{}}\nstrategy: {strategy}\nrecipe:\n  upgrade-agent: {{ version: \"{version}\" }}\n";

    private void Respond(Func<string, StepRequest, StepResult?>? answer = null)
    {
        foreach (var agent in _rig.Agents)
        {
            agent.Respond = request =>
            {
                _sent.Enqueue((agent.Name, request));
                return answer is null ? new StepResult { Outcome = StepOutcome.Succeeded, Reason = "fleet-agent 0.1.0 → 0.9.1, confirmed after 3 s" } : answer(agent.Name, request);
            };
        }
    }

    private async Task<List<string>> RefusedAsync(string yaml)
    {
        var (view, problems) = await _rig.Engine.PlanAsync(yaml, CancellationToken.None).DefaultTimeout();
        Assert.Null(view);
        return problems;
    }

    [Fact]
    public async Task MixedFleet_DebAndBinaryNodes_EachGetItsOwnKindAndComponent_BinaryHasNoPrevious()
    {
        await _rig.SetFactsAsync("w2", Arch.Arm64, "0.1.0+4f2a1c", "binary");
        await _rig.SetFactsAsync("w3", Arch.Amd64, "0.0.7", "binary"); // a version no catalog entry serves: not needed, its way back is on the node
        Respond();

        var id = await _rig.ApplyAsync(Plan());
        var done = await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        var byNode = _sent.ToDictionary(s => s.Node, s => s.Request.UpgradeAgent);
        Assert.Equal(
            (new AgentPackage { Url = "https://pkg.example/fleet-agent_0.9.1_amd64.deb", Sha256 = ShaDeb64, Version = "0.9.1", Arch = Arch.Amd64, MaxBytes = 1L << 30, Kind = AgentPackageKind.Deb },
             new AgentPackage { Url = "https://pkg.example/fleet-agent_0.1.0_amd64.deb", Sha256 = ShaDebOld64, Version = "0.1.0", Arch = Arch.Amd64, MaxBytes = 1L << 30, Kind = AgentPackageKind.Deb }),
            (byNode["w1"].Package, byNode["w1"].Previous));
        Assert.Equal(
            new AgentPackage { Url = "https://pkg.example/fleet-agent-0.9.1-linux-arm64", Sha256 = ShaBinArm64, Version = "0.9.1", Arch = Arch.Arm64, MaxBytes = 1L << 30, Kind = AgentPackageKind.Binary },
            byNode["w2"].Package);
        Assert.Null(byNode["w2"].Previous);
        Assert.Equal(("https://pkg.example/fleet-agent-0.9.1-linux-amd64", ShaBin64, AgentPackageKind.Binary), (byNode["w3"].Package.Url, byNode["w3"].Package.Sha256, byNode["w3"].Package.Kind));
        Assert.Null(byNode["w3"].Previous);
        Assert.Equal(
        [
            "w1: upgrade fleet-agent 0.1.0 → 0.9.1 (amd64); must report within 2m",
            "w2: upgrade fleet-agent 0.1.0 → 0.9.1 (arm64, binary); must report within 2m",
            "w3: upgrade fleet-agent 0.0.7 → 0.9.1 (amd64, binary); must report within 2m",
        ], done.Nodes.Select(n => $"{n.Name}: {n.Steps.Single().Description}"));
        Assert.Equal(["0.1.0 → 0.9.1", "0.1.0 → 0.9.1", "0.0.7 → 0.9.1"], done.Nodes.Select(n => $"{n.FromVersion} → {n.ToVersion}"));
    }

    [Fact]
    public async Task Plan_BinaryNode_TheViewShowsTheBinaryAndItsComponentsUrl()
    {
        await _rig.SetFactsAsync("w2", Arch.Arm64, "0.1.0", "binary");

        var (view, problems) = await _rig.Engine.PlanAsync(Plan(), CancellationToken.None).DefaultTimeout();

        Assert.True(view is not null, string.Join("; ", problems));
        var step = view.Nodes.Single(n => n.Name == "w2").Steps.Single();
        Assert.Equal("upgrade fleet-agent 0.1.0 → 0.9.1 (arm64, binary); must report within 2m", step.Description);
        Assert.Equal(("https://pkg.example/fleet-agent-0.9.1-linux-arm64", ShaBinArm64), (step.Url, step.Sha256));
    }

    [Fact]
    public async Task Preflight_BinaryNode_ArchNotServedByFleetAgentBinary_NamesNodeArchAndVersion()
    {
        await _rig.SetFactsAsync("w2", Arch.Arm, "0.1.0", "binary");
        await _rig.SetFactsAsync("w3", Arch.Arm64, "0.1.0", "binary");

        var problems = await RefusedAsync(Plan("0.9.2"));

        Assert.Equal(
        [
            "node w1 (amd64): fleet-agent 0.9.2 is not in the catalog for amd64", // a deb node never takes fleet-agent-binary
            "node w2 (arm): fleet-agent-binary 0.9.2 is not in the catalog for arm",
            "node w3 (arm64): fleet-agent-binary 0.9.2 is not in the catalog for arm64",
        ], problems);
    }

    [Fact]
    public async Task Preflight_BinaryNode_NeverTakesTheDeb()
    {
        await _rig.SetFactsAsync("w1", Arch.Amd64, "0.1.0", "binary");
        await _rig.ApplyCatalogAsync($$"""
            components:
              fleet-agent:
                kind: deb
                url: "https://pkg.example/fleet-agent_{version}_{arch}.deb"
                versions: { "0.9.1": { amd64: { sha256: {{ShaDeb64}} } }, "0.1.0": { amd64: { sha256: {{ShaDebOld64}} } } }
            """);

        var problems = await RefusedAsync(Plan());

        Assert.Equal(["node w1 (amd64): fleet-agent-binary 0.9.1 is not in the catalog for amd64"], problems);
    }

    [Theory]
    [InlineData("")]
    [InlineData("rpm")]
    [InlineData("Binary")]
    [InlineData("binary ")]
    [InlineData("deb\n")]
    [InlineData("binary,deb")]
    public async Task Preflight_InstallNeitherDebNorBinary_IsRefused_NamingTheNode(string install)
    {
        await _rig.SetFactsAsync("w2", Arch.Amd64, "0.1.0", install);

        var problems = await RefusedAsync(Plan());

        Assert.Equal(["node w2: its agent is installed neither from the package nor side by side (agent_install unknown): it cannot be upgraded by Fleet"], problems);
    }

    [Fact]
    public async Task Preflight_BinaryNode_UnknownVersion_IsRefused()
    {
        await _rig.SetFactsAsync("w3", Arch.Arm64, "", "binary");

        var problems = await RefusedAsync(Plan());

        Assert.Equal(["node w3 (arm64): its fleet-agent version is unknown (it reported none), so there is no known way back"], problems);
    }

    [Fact]
    public async Task Preflight_EveryProblemOfAMixedFleet_AtOnce()
    {
        await _rig.SetFactsAsync("w1", Arch.Amd64, "0.0.7", "deb");
        await _rig.SetFactsAsync("w2", Arch.Arm, "0.1.0", "binary");
        await _rig.SetFactsAsync("w3", Arch.Amd64, "0.1.0", "");

        var problems = await RefusedAsync(Plan());

        Assert.Equal(
        [
            "node w1 runs fleet-agent 0.0.7, which the catalog does not serve for amd64: no way back",
            "node w2 (arm): fleet-agent-binary 0.9.1 is not in the catalog for arm",
            "node w3: its agent is installed neither from the package nor side by side (agent_install unknown): it cannot be upgraded by Fleet",
        ], problems);
    }

    [Fact]
    public async Task CoordinatorRestart_MidStep_TheStoredBinaryStepIsSentAgain_Identically()
    {
        await _rig.SetFactsAsync("w1", Arch.Amd64, "0.1.0", "binary");
        var first = new TaskCompletionSource<StepRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        Respond((_, request) =>
        {
            first.TrySetResult(request);
            return null; // the agent is switching versions: no answer yet
        });
        var id = await _rig.ApplyAsync("target: { names: [w1] }\nrecipe:\n  upgrade-agent: { version: \"0.9.1\" }\n");
        var before = await first.Task.DefaultTimeout();

        await _rig.RestartAsync();
        var again = new TaskCompletionSource<StepRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        Respond((_, request) =>
        {
            again.TrySetResult(request);
            return new StepResult { Outcome = StepOutcome.Succeeded, Reason = "confirmed" };
        });
        var resent = await again.Task.DefaultTimeout();

        Assert.Equal(before, resent); // read back from the store: the kind stays BINARY, previous stays unset
        Assert.Equal((AgentPackageKind.Binary, (AgentPackage?)null), (resent.UpgradeAgent.Package.Kind, resent.UpgradeAgent.Previous));
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);
    }

    [Theory]
    [InlineData("steps:\n  - download: { component: fleet-agent-binary, version: 0.9.1, dest: /opt/fleet-agent/current/fleet-agent }\n", "download")]
    [InlineData("steps:\n  - install-cni: { component: fleet-agent-binary, version: 0.9.1 }\n", "install-cni")]
    public async Task Preflight_TheAgentsExecutableInADownloadOrInstallCniStep_IsRefused(string steps, string kind)
    {
        var problems = await RefusedAsync($"target: {{}}\n{steps}");

        Assert.Equal([$"fleet-agent-binary is the agent's own executable: a {kind} step never installs it, and no prefetch stages it; upgrade the agent with the upgrade-agent recipe"], problems);
    }
}

using System.Text.Json;
using Fleet.Agent.Steps;
using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>Rollouts end to end: the real coordinator, real agents, fleetctl, real artifacts over HTTP.</summary>
public sealed class RolloutTests : IAsyncLifetime
{
    private RolloutHarness _h = null!;

    public async Task InitializeAsync() => _h = await RolloutHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task InstallCni_AcrossAMixedFleetInBatches_InstallsEachArchsPluginsAndSucceeds()
    {
        var x1 = await _h.AgentAsync("x1", "x86_64");
        var pi1 = await _h.AgentAsync("pi1", "aarch64");
        var odroid1 = await _h.AgentAsync("odroid1", "armv7l");
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));
        var plan = await _h.PlanFileAsync($"""
            name: cni
            target: {"{}"}
            strategy: {"{ batchSize: 2 }"}
            recipe:
              install-cni: {"{"} version: {Fixtures.CniVersion} {"}"}
            """);

        var dry = await _h.CtlAsync("rollout", "plan", "-f", plan);
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains("batch 1: odroid1, pi1", dry.Stdout);
        Assert.Contains("batch 2: x1", dry.Stdout);
        Assert.Contains("strategy: batchSize 2, canary 0, pauseBetweenBatches 0s, failureThreshold 1, onFailure pause\n", dry.Stdout);
        Assert.Contains("timeouts: download 10m, drain 5m, kubeadm 15m, kubeletHealthy 5m, ready 10m, systemd 2m\n", dry.Stdout);
        var dryJson = JsonDocument.Parse((await _h.CtlAsync("rollout", "plan", "-f", plan, "-o", "json")).Stdout).RootElement;
        Assert.Equal(("planned", "2", "10m"), (dryJson.Str("state"), dryJson.GetProperty("strategy").Str("batchSize"), dryJson.GetProperty("strategy").GetProperty("timeouts").Str("download")));
        Assert.Equal("arm", RolloutHarness.Node(dryJson, "odroid1").Str("arch"));
        Assert.Contains(_h.Artifacts.BaseUrl + "/files/" + Fixtures.CniTarball("arm"), dry.Stdout);
        Assert.Contains("sha256 " + Fixtures.Sha256(Fixtures.CniTarball("arm64")), dry.Stdout);
        Assert.All(new[] { x1, pi1, odroid1 }, a => Assert.False(File.Exists(Path.Join(a.Root, "opt/cni/bin/bridge")), "the dry run touched nothing"));

        var applied = await _h.CtlAsync("rollout", "apply", "-f", plan, "--watch");

        Assert.True(applied.ExitCode == 0, applied.Stdout + applied.Stderr);
        Assert.Contains("rollout r1: succeeded", applied.Stdout);
        Assert.Equal(ElfMachine.X86_64, ElfMachine.Read(Path.Join(x1.Root, "opt/cni/bin/bridge")));
        Assert.Equal(ElfMachine.AArch64, ElfMachine.Read(Path.Join(pi1.Root, "opt/cni/bin/bridge")));
        Assert.Equal(ElfMachine.Arm, ElfMachine.Read(Path.Join(odroid1.Root, "opt/cni/bin/bridge")));
        var rollout = await _h.GetAsync("r1");
        Assert.Equal("succeeded", RolloutHarness.State(rollout));
        Assert.All(new[] { "x1", "pi1", "odroid1" }, n => Assert.Equal("succeeded", RolloutHarness.NodeState(rollout, n)));
        var logs = await _h.LogsAsync("r1", "pi1");
        Assert.Contains($"step 1/1 install cni-plugins {Fixtures.CniVersion} (arm64) into /opt/cni/bin: succeeded", logs);
        Assert.DoesNotContain("x1", logs);

        var list = await _h.CtlAsync("rollout", "list");
        Assert.Contains("r1", list.Stdout);
        Assert.Contains("succeeded", list.Stdout);

        // Machine output (docs/output.md): lists are arrays, names as the tables show them, RFC 3339 times.
        var listJson = JsonDocument.Parse((await _h.CtlAsync("rollout", "list", "-o", "JSON")).Stdout).RootElement;
        var listed = Assert.Single(listJson.EnumerateArray());
        Assert.Equal(("r1", "succeeded"), (listed.Str("id"), listed.Str("state")));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", listed.Str("createdAt"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", rollout.Str("finishedAt"));
        var step = RolloutHarness.Node(rollout, "pi1").GetProperty("steps")[0];
        Assert.Equal(("arm64", 1, "succeeded"), (RolloutHarness.Node(rollout, "pi1").Str("arch"), step.GetProperty("number").GetInt32(), step.Str("state")));
        var logsJson = JsonDocument.Parse((await _h.CtlAsync("rollout", "logs", "r1", "-o", "json")).Stdout).RootElement;
        Assert.Equal(JsonValueKind.Array, logsJson.ValueKind);
        Assert.All(logsJson.EnumerateArray(), l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", l.Str("at")));
        var wide = await _h.CtlAsync("rollout", "list", "-o", "wide");
        Assert.Matches(@"^ID\s+NAME\s+RECIPE\s+STATE\s+AGE\s+BATCH\s+NODES\s+CREATED\s+FINISHED\s+REASON$", wide.Stdout.Split('\n')[0]);
        Assert.DoesNotContain("ROLLOUT_", listJson.GetRawText() + rollout.GetRawText() + dryJson.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("ARCH_", rollout.GetRawText() + dryJson.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_WhenPreflightFails_ReportsEveryProblemAtOnceAndTouchesNothing()
    {
        await _h.AgentAsync("x1", "x86_64");
        await _h.AgentAsync("odroid1", "armv7l");
        var gone = await _h.AgentAsync("pi1", "aarch64");
        await _h.DisconnectAsync(gone);
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl, kubectlArches: ["amd64", "arm64"]));

        var applied = await _h.CtlAsync("rollout", "apply", "-f", await _h.PlanFileAsync($"""
            target: {"{ names: [x1, odroid1, pi1, ghost] }"}
            steps:
              - download: {"{"} component: kubectl, version: {Fixtures.KubectlVersion}, dest: /usr/local/bin/kubectl {"}"}
            """));

        Assert.Equal(1, applied.ExitCode);
        Assert.Contains("refusing to start the rollout; no node was touched", applied.Stderr);
        Assert.Contains("no such node: ghost", applied.Stderr);
        Assert.Contains("not connected: pi1", applied.Stderr);
        Assert.Contains($"kubectl {Fixtures.KubectlVersion} has no arm build: odroid1", applied.Stderr);
        Assert.DoesNotContain("rollout r", (await _h.CtlAsync("rollout", "list")).Stdout);
        Assert.False(File.Exists(Path.Join(_h.Agents[0].Root, "usr/local/bin/kubectl")));
    }

    [Fact]
    public async Task Exclude_LeavesAnOfflineNodeOutOfAnEveryNodeTarget_AndAnExcludedTypoIsRefused()
    {
        var x1 = await _h.AgentAsync("x1", "x86_64");
        var gone = await _h.AgentAsync("pi1", "aarch64");
        await _h.DisconnectAsync(gone);
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));
        string Plan(string exclude) => $"""
            target: {"{"} exclude: [{exclude}] {"}"}
            recipe:
              install-cni: {"{"} version: {Fixtures.CniVersion} {"}"}
            """;

        var typo = await _h.CtlAsync("rollout", "apply", "-f", await _h.PlanFileAsync(Plan("pi-1")));
        Assert.True(typo.ExitCode == 1, typo.Stderr);
        Assert.Contains("exclude: no such node: pi-1", typo.Stderr);
        Assert.Contains("not connected: pi1", typo.Stderr);
        Assert.False(File.Exists(Path.Join(x1.Root, "opt/cni/bin/bridge")));

        var applied = await _h.CtlAsync("rollout", "apply", "-f", await _h.PlanFileAsync(Plan("pi1")), "--watch");

        Assert.True(applied.ExitCode == 0, applied.Stdout + applied.Stderr);
        var rollout = await _h.GetAsync("r1");
        Assert.Equal(["x1"], rollout.GetProperty("nodes").EnumerateArray().Select(n => n.Str("name")));
        Assert.Equal(ElfMachine.X86_64, ElfMachine.Read(Path.Join(x1.Root, "opt/cni/bin/bridge")));
    }

    [Fact]
    public async Task SkipDisconnected_LeavesOutAndListsTheOfflineNodes_AndRefusesWhenNoneIsLeft()
    {
        var x1 = await _h.AgentAsync("x1", "x86_64");
        var gone = await _h.AgentAsync("pi1", "aarch64");
        await _h.DisconnectAsync(gone);
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));
        var plan = await _h.PlanFileAsync($"""
            target: {"{ skipDisconnected: true }"}
            recipe:
              install-cni: {"{"} version: {Fixtures.CniVersion} {"}"}
            """);
        const string Skipped = "skipped, not connected (target.skipDisconnected): pi1";

        var dry = await _h.CtlAsync("rollout", "plan", "-f", plan);
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains(Skipped, dry.Stdout);
        Assert.Contains("batch 1: x1\n", dry.Stdout);
        var applied = await _h.CtlAsync("rollout", "apply", "-f", plan, "--watch");

        Assert.True(applied.ExitCode == 0, applied.Stdout + applied.Stderr);
        Assert.Contains(Skipped, applied.Stdout);
        Assert.Equal(ElfMachine.X86_64, ElfMachine.Read(Path.Join(x1.Root, "opt/cni/bin/bridge")));
        var rollout = await _h.GetAsync("r1");
        Assert.Equal(["pi1"], rollout.GetProperty("skippedDisconnected").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(["x1"], rollout.GetProperty("nodes").EnumerateArray().Select(n => n.Str("name")));
        Assert.Contains(Skipped, (await _h.CtlAsync("rollout", "get", "r1")).Stdout);
        Assert.Contains(Skipped, await _h.LogsAsync("r1", null));

        var none = await _h.CtlAsync("rollout", "apply", "-f", await _h.PlanFileAsync($"""
            target: {"{ names: [pi1], skipDisconnected: true }"}
            recipe:
              install-cni: {"{"} version: {Fixtures.CniVersion} {"}"}
            """));
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("the target selects no connected node (names pi1, skipping disconnected nodes; not connected: pi1)", none.Stderr);
    }

    [Fact]
    public async Task Upgrade_TwoMinorsAwayWithoutTheBinaries_IsRefusedNamingTheHopAndTheTarget()
    {
        await _h.AgentAsync("x1", "x86_64");
        _h.Kube.AddNode("x1", "v1.12.0");
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));

        var skipped = await _h.CtlAsync("rollout", "plan", "-f", await _h.PlanFileAsync("""
            target: {}
            recipe: { upgrade-kubernetes: { version: v1.14.0 } }
            """));

        Assert.Equal(1, skipped.ExitCode);
        // Two minors away is planned hop by hop (docs/rollouts.md, "Multi-hop upgrades"): here the catalog has no hop.
        Assert.Contains("v1.13: the catalog has no kubeadm v1.13.x (Kubernetes cannot skip a minor version: the upgrade from v1.12.0 to v1.14.0 goes through v1.13)", skipped.Stderr);
        Assert.Contains("the catalog has no component \"kubeadm\"", skipped.Stderr);
    }
}

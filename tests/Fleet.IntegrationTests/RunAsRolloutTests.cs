using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet.Agent.Steps;
using Fleet.IntegrationTests.Rollouts;
using Fleet.Testing;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.IntegrationTests;

/// <summary>
/// `fleetctl run` is a rollout of one batch and one step: listed, logged, holding its nodes while it runs,
/// aborted when its client goes away, resolved per node architecture. Real coordinator, agents, fleetctl and
/// artifact server.
/// </summary>
public sealed partial class RunAsRolloutTests : IAsyncLifetime
{
    private RolloutHarness _h = null!;

    public async Task InitializeAsync() => _h = await RolloutHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private Task<TestAgent> AgentAsync(string name, string machine = "x86_64") => _h.AgentAsync(name, machine);

    private Task ApplyCatalogAsync(string yaml) => _h.ApplyCatalogAsync(yaml);

    private Task<Fleetctl.Result> RunAsync(params string[] args) => _h.CtlAsync(args);

    private static readonly string[] DownloadKubectl = ["run", "download", "--component", "kubectl", "--version", Fixtures.KubectlVersion, "--dest", "/usr/local/bin/kubectl"];

    [Fact]
    public async Task Run_IsARolloutOfOneStep_ListedByRolloutList_WithItsLogs()
    {
        await AgentAsync("x86-1");
        await ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));

        var run = await RunAsync(DownloadKubectl);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var id = RolloutLine().Match(run.Stdout).Groups[1].Value;
        Assert.True(id.Length > 0, run.Stdout);
        Assert.Contains($"rollout {id}: fleetctl rollout logs {id}", run.Stdout);
        var list = await RunAsync("rollout", "list", "-o", "json");
        var listed = JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Single(r => r.Str("id") == id);
        Assert.Equal(("fleetctl-run", "succeeded"), (listed.Str("name"), listed.Str("state")));
        var logs = await RunAsync("rollout", "logs", id);
        Assert.Equal(0, logs.ExitCode);
        Assert.Contains("step 1/1 download kubectl", logs.Stdout);
        Assert.Contains("succeeded", logs.Stdout);
    }

    [Fact]
    public async Task Run_OnMixedArchitectures_ResolvesEachNodesOwnUrl()
    {
        var x86 = await AgentAsync("x86-1");
        var pi = await AgentAsync("pi-1", machine: "aarch64");
        await ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));

        var run = await RunAsync(DownloadKubectl);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains($"x86-1 (amd64): {_h.Artifacts.BaseUrl}/files/{Fixtures.Kubectl("amd64")}", run.Stdout);
        Assert.Contains($"pi-1 (arm64): {_h.Artifacts.BaseUrl}/files/{Fixtures.Kubectl("arm64")}", run.Stdout);
        Assert.Equal(ElfMachine.X86_64, ElfMachine.Read(Path.Join(x86.Root, "usr/local/bin/kubectl")));
        Assert.Equal(ElfMachine.AArch64, ElfMachine.Read(Path.Join(pi.Root, "usr/local/bin/kubectl")));
    }

    [Fact]
    public async Task Run_WithAnOfflineNode_IsRefusedNamingIt_UnlessSkipDisconnected_WhichListsIt()
    {
        var x86 = await AgentAsync("x86-1");
        var pi = await AgentAsync("pi-1", machine: "aarch64");
        await _h.DisconnectAsync(pi);
        await ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));

        var refused = await RunAsync(DownloadKubectl);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("not connected: pi-1", refused.Stderr);
        Assert.False(File.Exists(Path.Join(x86.Root, "usr/local/bin/kubectl")));

        var run = await RunAsync([.. DownloadKubectl, "--skip-disconnected"]);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("; skipped, not connected: pi-1", run.Stdout);
        Assert.Equal(ElfMachine.X86_64, ElfMachine.Read(Path.Join(x86.Root, "usr/local/bin/kubectl")));
        var id = RolloutLine().Match(run.Stdout).Groups[1].Value;
        var rollout = JsonDocument.Parse((await RunAsync("rollout", "get", id, "-o", "json")).Stdout).RootElement;
        Assert.Equal(["pi-1"], rollout.GetProperty("skippedDisconnected").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task Run_CancelledByItsClient_AbortsTheRollout_AndHoldsTheNodeUntilThen()
    {
        var agent = await AgentAsync("x86-1");
        await ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl).Replace("/files/kubectl/", "/stall/kubectl/", StringComparison.Ordinal));
        using var channel = _h.Coordinator.ControlChannel();
        var client = new ControlService.ControlServiceClient(channel);
        using var cancel = new CancellationTokenSource();
        var request = new RunStepRequest { Download = new RunDownload { Component = "kubectl", Version = Fixtures.KubectlVersion, Dest = "/usr/local/bin/kubectl" } };
        using var call = client.RunStep(request, cancellationToken: cancel.Token);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
        var id = call.ResponseStream.Current.Plan.RolloutId;
        Assert.NotEmpty(id);
        await Eventually.Until(() => Task.FromResult(_h.Artifacts.Requests($"/stall/{Fixtures.Kubectl("amd64")}")), n => n > 0, "the node is downloading (and the download stalls)");

        var second = await RunAsync(DownloadKubectl);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"held by rollout {id}, which has not finished: x86-1", second.Stderr);

        await cancel.CancelAsync();
        await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());
        var aborted = await Eventually.Until(() => RunAsync("rollout", "get", id, "-o", "json"), r => r.Stdout.Contains("\"state\": \"aborted\"", StringComparison.Ordinal), "the run's rollout is aborted");
        Assert.Contains("cancelled: the rollout stopped", aborted.Stdout);
        Assert.False(File.Exists(Path.Join(agent.Root, "usr/local/bin/kubectl")));
    }

    [GeneratedRegex("rollout (r[0-9]+): fleetctl rollout logs")]
    private static partial Regex RolloutLine();
}

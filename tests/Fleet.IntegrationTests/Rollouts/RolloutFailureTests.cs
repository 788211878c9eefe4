using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>Rollouts when things go wrong: the failure threshold, pause and resume, abort, and what Fleet cordoned.</summary>
public sealed class RolloutFailureTests : IAsyncLifetime
{
    private RolloutHarness _h = null!;

    public async Task InitializeAsync() => _h = await RolloutHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task AFailedNode_ReachesTheThreshold_Pauses_ThenResumeRetriesItAndFinishes()
    {
        await _h.AgentAsync("pi1", "aarch64");
        await _h.AgentAsync("x1", "x86_64");
        using var mirrorDir = new TempDir();
        Directory.CreateDirectory(mirrorDir.Combine("kubectl/amd64"));
        File.Copy(Path.Join(Fixtures.Artifacts, Fixtures.Kubectl("amd64")), mirrorDir.Combine(Fixtures.Kubectl("amd64"))); // no arm64 build on the mirror yet
        await using var mirror = await ArtifactServer.StartAsync(mirrorDir.Path);
        await _h.ApplyCatalogAsync($$"""
            components:
              kubectl:
                kind: binary
                url: {{mirror.BaseUrl}}/files/kubectl/{arch}/kubectl
                versions:
                  {{Fixtures.KubectlVersion}}:
                    amd64: { sha256: {{Fixtures.Sha256(Fixtures.Kubectl("amd64"))}} }
                    arm64: { sha256: {{Fixtures.Sha256(Fixtures.Kubectl("arm64"))}} }
            """);

        var id = await _h.ApplyAsync($$"""
            target: {}
            strategy: { batchSize: 1, failureThreshold: 1, onFailure: pause }
            steps:
              - download: { component: kubectl, version: {{Fixtures.KubectlVersion}}, dest: /usr/local/bin/kubectl }
            """);

        var paused = await _h.UntilStateAsync(id, "paused");
        Assert.Equal("failed", RolloutHarness.NodeState(paused, "pi1"));
        Assert.Equal("pending", RolloutHarness.NodeState(paused, "x1"));
        Assert.Contains("404", RolloutHarness.Node(paused, "pi1").Str("error"));
        Assert.Contains("failure threshold reached (1 of 2 node(s) failed, threshold 1)", paused.Str("reason"));
        Assert.False(File.Exists(Path.Join(_h.Agents[1].Root, "usr/local/bin/kubectl")), "x1 was not started");
        var watch = await _h.CtlAsync("rollout", "watch", id);
        Assert.Equal(1, watch.ExitCode);
        Assert.Contains($"rollout {id} is paused", watch.Stderr);

        Directory.CreateDirectory(mirrorDir.Combine("kubectl/arm64"));
        File.Copy(Path.Join(Fixtures.Artifacts, Fixtures.Kubectl("arm64")), mirrorDir.Combine(Fixtures.Kubectl("arm64")));
        var resumed = await _h.CtlAsync("rollout", "resume", id);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);

        var done = await _h.UntilStateAsync(id, "succeeded");
        Assert.Equal("succeeded", RolloutHarness.NodeState(done, "pi1"));
        Assert.Equal("succeeded", RolloutHarness.NodeState(done, "x1"));
        Assert.True(File.Exists(Path.Join(_h.Agents[0].Root, "usr/local/bin/kubectl")));
        var logs = await _h.LogsAsync(id);
        Assert.Contains("resumed by the operator", logs);
        Assert.Contains("rollout paused: failure threshold reached", logs);
        Assert.Equal(2, mirror.Requests("/files/kubectl/arm64/kubectl")); // the 404 (never retried), then the resumed step
    }

    [Fact]
    public async Task Abort_CancelsStepsInFlight_AndUncordonsOnlyWhatFleetCordoned()
    {
        await _h.AgentAsync("pi1", "aarch64");
        await _h.AgentAsync("x1", "x86_64");
        _h.Kube.AddNode("pi1", "v1.12.0", cordonedByOperator: true);
        _h.Kube.AddNode("x1", "v1.12.0");
        await _h.ApplyCatalogAsync($$"""
            components:
              slow:
                kind: binary
                url: {{_h.Artifacts.BaseUrl}}/hang
                versions:
                  v1.0.0: { amd64: { sha256: {{new string('a', 64)}} }, arm64: { sha256: {{new string('b', 64)}} } }
            """);
        var id = await _h.ApplyAsync("""
            target: {}
            strategy: { maxUnavailable: 2, prefetch: false }
            steps:
              - cordon: {}
              - download: { component: slow, version: v1.0.0, dest: /usr/local/bin/slow }
              - uncordon: {}
            """);
        await Eventually.Until(() => _h.GetAsync(id), r => new[] { "pi1", "x1" }.All(n => RolloutHarness.Node(r, n).GetProperty("steps")[1].Str("state") == "running"), "both nodes are downloading");
        Assert.True(_h.Kube.IsCordoned("x1"));

        var abort = await _h.CtlAsync("rollout", "abort", id);

        Assert.True(abort.ExitCode == 0, abort.Stderr);
        Assert.True(abort.Stdout.Contains($"rollout {id}: aborted", StringComparison.Ordinal), abort.Stdout + await _h.LogsAsync(id));
        var rollout = await _h.GetAsync(id);
        Assert.Equal("aborted", RolloutHarness.State(rollout));
        Assert.Contains("cancelled: the rollout stopped", RolloutHarness.Node(rollout, "x1").Str("error"));
        Assert.Equal("cancelled", RolloutHarness.Node(rollout, "x1").GetProperty("steps")[1].Str("state")); // cut short, not failed
        var wide = await _h.CtlAsync("rollout", "get", id, "-o", "wide");
        Assert.Contains("2. [cancelled] ", wide.Stdout, StringComparison.Ordinal);
        Assert.False(_h.Kube.IsCordoned("x1"), "Fleet uncordons what it cordoned");
        Assert.True(_h.Kube.IsCordoned("pi1"), "an operator's cordon stays");
        Assert.Contains("uncordon x1: Uncordoned", _h.Kube.Calls);
        Assert.DoesNotContain(_h.Kube.Calls, c => c.StartsWith("uncordon pi1", StringComparison.Ordinal) && c.EndsWith("Uncordoned", StringComparison.Ordinal));
        var logs = await _h.LogsAsync(id);
        Assert.Contains("kubernetes: cordon x1: Cordoned", logs);
        Assert.Contains("kubernetes: cordon pi1: AlreadyCordonedByOperator", logs);
        Assert.Contains("kubernetes: uncordon x1 after the failure: Uncordoned", logs);
        await Eventually.Until(() => _h.Agents.All(a => a.Logs.Messages.Any(m => m.Contains("cancel", StringComparison.OrdinalIgnoreCase))), "both agents cancelled their download");
        var again = await _h.CtlAsync("rollout", "resume", id);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"rollout {id} has finished", again.Stderr);
    }

    [Fact]
    public async Task AFailureWithOnFailureAbort_EndsFailed_AndTheFailedNodeIsUncordoned()
    {
        await _h.AgentAsync("x1", "x86_64");
        await _h.AgentAsync("x2", "x86_64");
        _h.Kube.AddNode("x1", "v1.12.0");
        _h.Kube.AddNode("x2", "v1.12.0");
        _h.Kube.NeverReady["x1"] = true;
        var id = await _h.ApplyAsync("""
            target: {}
            strategy: { batchSize: 1, onFailure: abort, timeouts: { ready: 5s } }
            steps:
              - cordon: {}
              - drain: {}
              - wait-ready: {}
              - uncordon: {}
            """);

        var failed = await _h.UntilStateAsync(id, "failed");

        Assert.Equal("failed", RolloutHarness.NodeState(failed, "x1"));
        Assert.Equal("skipped", RolloutHarness.NodeState(failed, "x2"));
        Assert.Equal("step 3 (wait until x1 is Ready): node x1 did not become Ready within 5 s", RolloutHarness.Node(failed, "x1").Str("error"));
        Assert.False(_h.Kube.IsCordoned("x1"));
        Assert.DoesNotContain(_h.Kube.Calls, c => c.Contains("x2", StringComparison.Ordinal));
        var watch = await _h.CtlAsync("rollout", "watch", id);
        Assert.Equal(1, watch.ExitCode);
        Assert.Contains($"rollout {id} failed: failure threshold reached", watch.Stderr);
    }
}

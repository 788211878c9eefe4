using Fleet.Coordinator.Metrics;
using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// The rollout metrics on the real coordinator's /metrics, scraped over HTTP after real rollouts and checked by
/// Prometheus's own linter (`promtool check metrics`, Debian's prometheus package).
/// </summary>
public sealed class RolloutMetricsTests : IAsyncLifetime
{
    private RolloutHarness _h = null!;

    public async Task InitializeAsync() => _h = await RolloutHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task AfterASucceededAndAPausedRollout_TheMetricsCountThem_AndPromtoolFindsNoProblem()
    {
        await _h.AgentAsync("x1", "x86_64");
        await _h.AgentAsync("pi1", "aarch64");
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));
        var cni = await _h.ApplyAsync($$"""
            target: {}
            recipe:
              install-cni: { version: {{Fixtures.CniVersion}} }
            """);
        await _h.UntilStateAsync(cni, "succeeded");
        using var mirrorDir = new TempDir(); // kubectl for amd64 only: pi1's download fails (404) and the rollout pauses
        Directory.CreateDirectory(mirrorDir.Combine("kubectl/amd64"));
        File.Copy(Path.Join(Fixtures.Artifacts, Fixtures.Kubectl("amd64")), mirrorDir.Combine(Fixtures.Kubectl("amd64")));
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
        var kubectl = await _h.ApplyAsync($$"""
            target: { names: [pi1, x1] }
            strategy: { batchSize: 1 }
            steps:
              - download: { component: kubectl, version: {{Fixtures.KubectlVersion}}, dest: /usr/local/bin/kubectl }
            """);
        await _h.UntilStateAsync(kubectl, "paused");
        _h.Coordinator.Service<RolloutMetrics>().ObserveGateWait("prometheus", TimeSpan.FromSeconds(42), passed: false); // as the gate code reports a wait

        var page = await ScrapeAsync();
        var lint = await ProcessRun.RunWithInputAsync("promtool", ["check", "metrics"], page);

        Assert.True(lint.Code == 0 && lint.Output.Length == 0, $"promtool check metrics: exit {lint.Code}: {lint.Output}");
        Assert.Contains("fleet_rollouts{state=\"succeeded\"} 1\n", page);
        Assert.Contains("fleet_rollouts{state=\"paused\"} 1\n", page);
        Assert.Contains("fleet_rollouts{state=\"failed\"} 0\n", page);
        Assert.Contains("fleet_rollout_nodes{state=\"failed\"} 1\n", page); // pi1, in the paused rollout
        Assert.Contains("fleet_rollout_nodes{state=\"pending\"} 1\n", page); // x1, not started
        Assert.Contains("fleet_rollout_nodes{state=\"succeeded\"} 0\n", page); // the finished rollout's nodes are not counted
        Assert.Contains("fleet_rollout_step_duration_seconds_count{kind=\"install-cni\",outcome=\"succeeded\"} 2\n", page);
        Assert.Contains("fleet_rollout_step_duration_seconds_count{kind=\"download\",outcome=\"failed\"} 1\n", page);
        Assert.Contains("fleet_rollout_gate_wait_seconds_count{gate=\"prometheus\",outcome=\"failed\"} 1\n", page);
        Assert.Contains("fleet_rollout_gate_wait_seconds_sum{gate=\"prometheus\",outcome=\"failed\"} 42\n", page);
        Assert.Contains("fleet_webhook_deliveries_dropped_total 0\n", page);
        Assert.Contains("fleet_webhook_deliveries_total{outcome=\"delivered\"} 0\n", page);
    }

    private async Task<string> ScrapeAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{_h.Coordinator.Options.MetricsListen!.Port}/metrics"));
    }
}

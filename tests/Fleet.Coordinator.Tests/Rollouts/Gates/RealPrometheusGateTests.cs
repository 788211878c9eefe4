using Fleet.Coordinator.Rollouts.Gates;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.Testing.Prometheus;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts.Gates;

/// <summary>
/// The prometheus gate against a REAL Prometheus (Debian's 2.42, started here on 127.0.0.1, scraping every second a
/// small exporter whose gauge the test flips): healthy passes, unhealthy pauses naming the query and the series,
/// healthy again and a resume finish the rollout; a stopped Prometheus fails the gate, never passes it.
/// </summary>
public sealed class RealPrometheusGateTests : IAsyncLifetime
{
    private const string Query = "fleet_test_unhealthy > 0";
    private GaugeExporter _exporter = null!;
    private PrometheusServer _prometheus = null!;

    public async Task InitializeAsync()
    {
        _exporter = await GaugeExporter.StartAsync("fleet_test_unhealthy", "service=\"web\"", 0);
        _prometheus = await PrometheusServer.StartAsync(_exporter.Target);
        await _prometheus.WaitForSeriesAsync("fleet_test_unhealthy", 1); // scraped at least once
    }

    public async Task DisposeAsync()
    {
        await _prometheus.DisposeAsync(); // kills the process it started, by PID
        await _exporter.DisposeAsync();
    }

    private async Task FlipAsync(double value)
    {
        _exporter.Value = value;
        await _prometheus.WaitForSeriesAsync(Query, value > 0 ? 1 : 0);
    }

    [Fact]
    public async Task Healthy_Passes_Flipped_PausesNamingQueryAndSeries_FlippedBackAndResumed_Succeeds()
    {
        await using var rig = await RolloutRig.StartAsync(["w1", "w2", "w3"]);
        var id = await rig.ApplyAsync($"""
            target: {"{ names: [w1, w2, w3] }"}
            strategy:
              batchSize: 1
              gates:
                - prometheus: {"{"} url: "{_prometheus.Url}", query: "{Query}" {"}"}
            steps:
              - systemd: {"{ action: restart, unit: kubelet.service }"}
            """);

        rig["w1"].Succeed(await rig["w1"].NextStepAsync());
        var w2 = await rig["w2"].NextStepAsync(); // sent only after the gate passed on a healthy value
        await FlipAsync(1);
        rig["w2"].Succeed(w2);

        var paused = await rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.StartsWith($"gate prometheus {_prometheus.Url}: `{Query}` returns no series failed: prometheus {_prometheus.Url}: query `{Query}` returned 1 series: {{", paused.Reason);
        Assert.Contains("__name__=\"fleet_test_unhealthy\"", paused.Reason);
        Assert.Contains("service=\"web\"", paused.Reason);
        Assert.Contains("job=\"fleet-test\"", paused.Reason);
        Assert.Contains($"instance=\"{_exporter.Target}\"", paused.Reason);
        Assert.Contains("} = 1;", paused.Reason);
        Assert.Empty(rig["w3"].Steps);

        await FlipAsync(0);
        await rig.Engine.ResumeAsync(id, CancellationToken.None).DefaultTimeout();
        rig["w3"].Succeed(await rig["w3"].NextStepAsync());
        await rig.WaitForStateAsync(id, RolloutState.Succeeded);
    }

    [Fact]
    public async Task AStoppedPrometheus_FailsTheGate_AndTheRolloutPauses()
    {
        await using var rig = await RolloutRig.StartAsync(["w1", "w2"]);
        var id = await rig.ApplyAsync($"""
            target: {"{ names: [w1, w2] }"}
            strategy:
              batchSize: 1
              gates:
                - prometheus: {"{"} url: "{_prometheus.Url}", query: "{Query}" {"}"}
            steps:
              - systemd: {"{ action: restart, unit: kubelet.service }"}
            """);
        var w1 = await rig["w1"].NextStepAsync();
        await _prometheus.StopAsync();
        rig["w1"].Succeed(w1);

        var paused = await rig.WaitForStateAsync(id, RolloutState.Paused);
        Assert.Contains($"failed: {_prometheus.Url}/api/v1/query unreachable: Connection refused", paused.Reason);
        Assert.Empty(rig["w2"].Steps);
    }

    [Fact]
    public async Task ForHoldsTheQueryOverTheDuration_AndASeriesDuringItFails()
    {
        // The waits between evaluations run on fake time, moved by the test when the check says it holds; the
        // answers come from the real Prometheus.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var options = new GateOptions { PrometheusInterval = TimeSpan.FromSeconds(1) };
        using var http = new GateHttp(options, time);
        var check = new PrometheusGateCheck(http, options, time);
        var progress = new List<string>();

        var held = await check.CheckAsync(new PrometheusGate(new Uri(_prometheus.Url), Query, TimeSpan.FromSeconds(3)), p =>
        {
            progress.Add(p);
            time.Advance(options.PrometheusInterval);
        }, CancellationToken.None).DefaultTimeout();
        Assert.Null(held);
        Assert.Equal(["held 0s of 3s", "held 1s of 3s", "held 2s of 3s"], progress); // then a last evaluation at 3s

        var why = await check.CheckAsync(new PrometheusGate(new Uri(_prometheus.Url), Query, TimeSpan.FromMinutes(10)), _ =>
        {
            // Goes bad after the first clean evaluation; the next evaluation sees it once Prometheus has scraped it.
            _exporter.Value = 3;
            _prometheus.WaitForSeriesAsync(Query, 1).GetAwaiter().GetResult();
            time.Advance(options.PrometheusInterval);
        }, CancellationToken.None).DefaultTimeout();
        Assert.StartsWith($"prometheus {_prometheus.Url}: query `{Query}` returned 1 series: {{", why);
        Assert.EndsWith("} = 3", why);
    }

    [Fact]
    public async Task QueriesPrometheusRefuses_AndScalars_FailTheGate()
    {
        var options = new GateOptions();
        using var http = new GateHttp(options, TimeProvider.System);
        var check = new PrometheusGateCheck(http, options, TimeProvider.System);

        var refused = await check.EvaluateAsync(new PrometheusGate(new Uri(_prometheus.Url), "fleet_test_unhealthy >", TimeSpan.Zero), CancellationToken.None).DefaultTimeout();
        Assert.StartsWith($"prometheus {_prometheus.Url}: query `fleet_test_unhealthy >` failed (HTTP 400, bad_data): ", refused);

        var scalar = await check.EvaluateAsync(new PrometheusGate(new Uri(_prometheus.Url), "1", TimeSpan.Zero), CancellationToken.None).DefaultTimeout();
        Assert.Equal($"prometheus {_prometheus.Url}: query `1` returned a scalar, not series: a gate's query selects the unhealthy series (e.g. up == 0)", scalar);
    }
}

using Fleet.Coordinator.Rollouts.Gates;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Rollouts.Gates;

/// <summary>
/// The prometheus gate against hostile servers (a real HTTP server on loopback): what it reads is bounded, what it
/// puts in a reason is bounded, and nothing but a clean "no series" answer passes.
/// </summary>
public sealed class PrometheusAnswerTests : IAsyncLifetime
{
    private static readonly GateOptions Options = new() { RequestTimeout = TimeSpan.FromSeconds(20), MaxPrometheusBodyBytes = 1 << 20 };
    private readonly GateHttp _http = new(Options, TimeProvider.System);
    private GateTestServer _server = null!;

    public async Task InitializeAsync() => _server = await GateTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private Task<string?> EvaluateAsync(string prefix) =>
        new PrometheusGateCheck(_http, Options, TimeProvider.System).EvaluateAsync(new PrometheusGate(new Uri(_server.BaseUrl + prefix), "up == 0", TimeSpan.Zero), CancellationToken.None).DefaultTimeout();

    [Fact]
    public async Task AnEndlessAnswer_IsCutAtTheBound_AndFails() =>
        Assert.Equal($"prometheus {_server.BaseUrl}/endless: the answer to `up == 0` is larger than 1048576 bytes (HTTP 200)", await EvaluateAsync("/endless"));

    [Fact]
    public async Task AnAnnouncedBigAnswer_IsNotRead_AndFails() =>
        Assert.Equal($"prometheus {_server.BaseUrl}/big: the answer to `up == 0` is larger than 1048576 bytes (HTTP 200)", await EvaluateAsync("/big"));

    [Fact]
    public async Task AHang_FailsAfterTheRequestTimeout()
    {
        var options = new GateOptions { RequestTimeout = TimeSpan.FromSeconds(1) };
        using var http = new GateHttp(options, TimeProvider.System);
        var why = await new PrometheusGateCheck(http, options, TimeProvider.System)
            .EvaluateAsync(new PrometheusGate(new Uri(_server.BaseUrl + "/hang"), "up == 0", TimeSpan.Zero), CancellationToken.None).DefaultTimeout();
        Assert.Equal($"no answer from {_server.BaseUrl}/hang/api/v1/query within 1s (query `up == 0`)", why);
    }

    [Fact]
    public async Task ARedirect_IsNotFollowed_AndFails() =>
        Assert.Equal($"prometheus {_server.BaseUrl}/redirect: HTTP 302, not Prometheus JSON (query `up == 0`)", await EvaluateAsync("/redirect"));

    [Fact]
    public async Task AnHtmlPage_Fails() =>
        Assert.Equal($"prometheus {_server.BaseUrl}/html: HTTP 200, not Prometheus JSON (query `up == 0`)", await EvaluateAsync("/html"));

    [Fact]
    public async Task AScalar_IsNotSeries_AndFails() =>
        Assert.Equal($"prometheus {_server.BaseUrl}/scalar: query `up == 0` returned a scalar, not series: a gate's query selects the unhealthy series (e.g. up == 0)", await EvaluateAsync("/scalar"));

    [Fact]
    public async Task AHugeError_IsBoundedInTheReason()
    {
        var why = await EvaluateAsync("/error500");
        Assert.StartsWith($"prometheus {_server.BaseUrl}/error500: query `up == 0` failed (HTTP 500, internal): eeee", why);
        Assert.True(why!.Length < 400, why);
        Assert.EndsWith("…", why);
    }

    [Fact]
    public async Task ManySeries_AndHugeLabels_AreBoundedInTheReason_WithTheCountGiven()
    {
        var why = await EvaluateAsync("/many");
        Assert.StartsWith($"prometheus {_server.BaseUrl}/many: query `up == 0` returned 50 series: {{__name__=\"bad\", i=\"0\", x=\"vvvv", why);
        Assert.Contains("{__name__=\"bad\", i=\"1\", x=\"y\"} = 1", why);
        Assert.EndsWith("{__name__=\"bad\", i=\"2\", x=\"y\"} = 1, …", why);
        Assert.True(why!.Length < 800, why);
        Assert.DoesNotContain('\u001b', why); // a control character from the server never reaches a reason or a log
    }

    [Fact]
    public async Task NothingListening_FailsAsUnreachable_NeverPasses()
    {
        var port = FreePort.Next();
        var why = await new PrometheusGateCheck(_http, Options, TimeProvider.System)
            .EvaluateAsync(new PrometheusGate(new Uri($"http://127.0.0.1:{port}"), "up == 0", TimeSpan.Zero), CancellationToken.None).DefaultTimeout();
        Assert.Equal($"http://127.0.0.1:{port}/api/v1/query unreachable: Connection refused (query `up == 0`)", why);
    }
}

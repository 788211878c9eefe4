using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Agent.Tests.Steps;

/// <summary>WaitKubeletHealthy against a real loopback HTTP server that turns healthy after some polls.</summary>
public sealed class WaitKubeletHealthyStepHandlerTests : IDisposable
{
    private readonly DoubleHarness _h = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan };

    public void Dispose()
    {
        _http.Dispose();
        _h.Dispose();
    }

    private WaitKubeletHealthyStepHandler Handler() => new(_http, _h.Options, TimeProvider.System) { Interval = TimeSpan.FromMilliseconds(20) };

    private static StepRequest Wait(string url = "", TimeSpan? timeout = null) => new()
    {
        Id = "wait-1",
        WaitKubeletHealthy = new WaitKubeletHealthyStep { Url = url },
        Timeout = Duration.FromTimeSpan(timeout ?? TimeSpan.FromMinutes(1)),
    };

    private Task<StepResult> Run(StepRequest request) => Handler().RunAsync(request, _h.Progress(request.Id), CancellationToken.None).DefaultTimeout();

    [Fact]
    public async Task Run_HealthyAfterSomePolls_SucceedsWithOneLinePerChangeNotPerPoll()
    {
        await using var kubelet = await HealthzServer.StartAsync(failures: 4);

        var result = await Run(Wait(kubelet.Url));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal($"the kubelet is healthy ({kubelet.Url} answered ok)", result.Reason);
        Assert.Equal(5, kubelet.Requests);
        var lines = _h.LogLines();
        Assert.Equal(3, lines.Count);
        Assert.Equal($"waiting for the kubelet: polling {kubelet.Url} every 0.02 s until it answers 200 \"ok\"", lines[0]);
        Assert.Equal("not healthy yet: HTTP 500 \"[-]ping failed\"", lines[1]);
        Assert.StartsWith($"the kubelet is healthy: {kubelet.Url} answered ok (poll 5, after ", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AlreadyHealthy_SucceedsAtTheFirstPoll()
    {
        await using var kubelet = await HealthzServer.StartAsync(failures: 0);

        var result = await Run(Wait(kubelet.Url));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(1, kubelet.Requests);
    }

    [Fact]
    public async Task Run_200ButNotOk_IsNotHealthy()
    {
        await using var kubelet = await HealthzServer.StartAsync(failures: 2, failStatus: 200, failBody: "[+]ping ok\n[-]syncloop failed");

        var result = await Run(Wait(kubelet.Url));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(3, kubelet.Requests);
        Assert.Contains("not healthy yet: HTTP 200 \"[+]ping ok [-]syncloop failed\"", _h.LogLines());
    }

    [Fact]
    public async Task Run_NothingListensAtFirst_WaitsThroughRefusalsUntilTheKubeletComesUp()
    {
        var port = FreePort.Next();
        var url = $"http://127.0.0.1:{port}/healthz";
        var run = Handler().RunAsync(Wait(url), _h.Progress("wait-1"), CancellationToken.None);
        var seen = new List<string>();
        await Eventually.Until(() =>
        {
            seen.AddRange(_h.LogLines());
            return seen.Any(l => l.StartsWith("not healthy yet: Connection refused", StringComparison.Ordinal));
        }, "the handler reports the refused connection");

        await using var kubelet = await HealthzServer.StartAsync(failures: 0, port: port);
        var result = await run.DefaultTimeout();

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        seen.AddRange(_h.LogLines());
        Assert.Single(seen, l => l.StartsWith("not healthy yet: Connection refused", StringComparison.Ordinal));
        Assert.StartsWith("the kubelet is healthy:", seen[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoUrlInTheStep_PollsTheConfiguredDefault()
    {
        await using var kubelet = await HealthzServer.StartAsync(failures: 1);
        _h.Options.KubeletHealthzUrl = kubelet.Url;

        var result = await Run(Wait());

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(2, kubelet.Requests);
    }

    [Fact]
    public async Task StepTimeout_NeverHealthy_FailsTimedOutWithTheLastAnswer()
    {
        await using var kubelet = await HealthzServer.StartAsync(failures: int.MaxValue);
        var handler = Handler();

        var result = await _h.Runner(handler).Start(Wait(kubelet.Url, TimeSpan.FromSeconds(1)), CancellationToken.None).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.StartsWith("timed out after 1 s; last log line: ", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://10.0.0.1:10248/healthz", "is not a loopback address (10.0.0.1)")]
    [InlineData("http://192.168.1.20:10248/healthz", "is not a loopback address")]
    [InlineData("http://[fd00::1]:10248/healthz", "is not a loopback address")]
    [InlineData("http://localhost:10248/healthz", "is not a loopback address (localhost)")]
    [InlineData("http://kubelet.lan:10248/healthz", "is not a loopback address")]
    [InlineData("https://127.0.0.1:10250/healthz", "is not http://")]
    [InlineData("file:///etc/passwd", "is not http://")]
    [InlineData("http://user:pw@127.0.0.1:10248/healthz", "carries user information")]
    [InlineData("127.0.0.1:10248/healthz", "is not")]
    [InlineData("/healthz", "is not an absolute URL")]
    public async Task Run_NotALoopbackHttpUrl_IsRefusedSayingWhatIsAccepted(string url, string problem)
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Wait(url)));

        Assert.StartsWith("refusing to poll the kubelet: url: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("only http:// URLs to a loopback address (127.0.0.0/8 or [::1]) are accepted, e.g. http://127.0.0.1:10248/healthz", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_h.LogLines());
    }

    [Fact]
    public async Task Run_HttpsToALoopbackServer_IsRefusedWithoutARequest()
    {
        await using var kubelet = await HealthzServer.StartAsync(failures: 0);

        await Assert.ThrowsAsync<StepFailedException>(() => Run(Wait(kubelet.Url.Replace("http://", "https://", StringComparison.Ordinal))));

        Assert.Equal(0, kubelet.Requests);
    }

    [Theory]
    [InlineData("http://127.0.0.1:10248/healthz")]
    [InlineData("http://127.1.2.3:10248/healthz")]
    [InlineData("http://[::1]:10248/healthz")]
    public void LoopbackHttpUrl_LoopbackAddresses_AreAccepted(string url) => Assert.Null(LoopbackHttpUrl.Problem(url));
}

using Fleet.Coordinator.Rollouts.Gates;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Rollouts.Gates;

/// <summary>
/// The http gate and the gates' HTTP client against a real HTTP server on loopback: the expected status passes,
/// any other fails naming it; a huge body, a hang, a redirect and an unreachable port are bounded and never pass.
/// </summary>
public sealed class HttpGateCheckTests : IAsyncLifetime
{
    private static readonly GateOptions Options = new() { RequestTimeout = TimeSpan.FromSeconds(20) }; // a loaded test machine's first request can be slow
    private readonly GateHttp _http = new(Options, TimeProvider.System);
    private GateTestServer _server = null!;

    public async Task InitializeAsync() => _server = await GateTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private Task<string?> CheckAsync(string path, int expect = 200) =>
        new HttpGateCheck(_http).CheckAsync(new HttpGate(new Uri(_server.BaseUrl + path), expect), CancellationToken.None).DefaultTimeout();

    [Fact]
    public async Task TheExpectedStatus_Passes_AnyOtherFailsNamingIt()
    {
        Assert.Null(await CheckAsync("/health"));
        _server.HealthStatus = 503;
        Assert.Equal($"GET {_server.BaseUrl}/health answered 503, expected 200", await CheckAsync("/health"));
        Assert.Null(await CheckAsync("/health", expect: 503));
        Assert.Equal(3, _server.Requests("/health"));
    }

    [Fact]
    public async Task AHugeBody_IsNeverRead()
    {
        Assert.Null(await CheckAsync("/huge")); // 200 at once: the 64 MiB body is not read, the connection is dropped
    }

    [Fact]
    public async Task AServerThatNeverAnswers_FailsAfterTheRequestTimeout()
    {
        using var http = new GateHttp(new GateOptions { RequestTimeout = TimeSpan.FromSeconds(1) }, TimeProvider.System);
        var why = await new HttpGateCheck(http).CheckAsync(new HttpGate(new Uri($"{_server.BaseUrl}/hang/api/v1/query?secret=1"), 200), CancellationToken.None).DefaultTimeout();
        Assert.Equal($"no answer from {_server.BaseUrl}/hang/api/v1/query within 1s", why); // the query string is never echoed
    }

    [Fact]
    public async Task ARedirect_IsNeverFollowed_ItsStatusIsTheAnswer()
    {
        Assert.Equal($"GET {_server.BaseUrl}/redirect/api/v1/query answered 302, expected 200", await CheckAsync("/redirect/api/v1/query"));
    }

    [Fact]
    public async Task NothingListening_FailsAsUnreachable()
    {
        var port = FreePort.Next();
        var why = await new HttpGateCheck(_http).CheckAsync(new HttpGate(new Uri($"http://127.0.0.1:{port}/health"), 200), CancellationToken.None).DefaultTimeout();
        Assert.StartsWith($"http://127.0.0.1:{port}/health unreachable: Connection refused", why);
    }

    [Fact]
    public async Task TheCallersCancellation_IsACancellation_NotAFailure()
    {
        using var cancel = new CancellationTokenSource();
        var check = new HttpGateCheck(_http).CheckAsync(new HttpGate(new Uri($"{_server.BaseUrl}/hang/api/v1/query"), 200), cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => check.DefaultTimeout());
    }
}

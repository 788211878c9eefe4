using System.Net.Sockets;
using System.Text;
using Fleet.Agent.Hosting;
using Fleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Agent.Tests.Hosting;

/// <summary>SystemdStatus against a real unix datagram socket standing in for systemd's NOTIFY_SOCKET.</summary>
public sealed class SystemdStatusTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly TempDir _dir = new();
    private readonly Socket _systemd = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public SystemdStatusTests()
    {
        _systemd.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _systemd.ReceiveTimeout = (int)Wait.TotalMilliseconds;
    }

    private string SocketPath => _dir.Combine("notify");

    public void Dispose()
    {
        _systemd.Dispose();
        _dir.Dispose();
    }

    private SystemdStatus Status(TimeSpan? watchdog = null) =>
        new(new SystemdNotifySocket(SocketPath), watchdog, NullLogger<SystemdStatus>.Instance);

    private string Receive()
    {
        var buffer = new byte[4096];
        var n = _systemd.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private bool Pending() => _systemd.Poll(100_000, SelectMode.SelectRead);

    [Fact]
    public void Retrying_First_SendsReadyWithStatus()
    {
        var status = Status();

        status.Retrying("https://127.0.0.1:7443/", 1, "Unavailable: connection refused", TimeSpan.FromSeconds(1.25));

        Assert.Equal("READY=1\nSTATUS=retrying https://127.0.0.1:7443/ in 1.3 s (attempt 1: Unavailable: connection refused); last step: none", Receive());
    }

    [Fact]
    public void Connected_AfterRetrying_SendsStatusWithoutSecondReady()
    {
        var status = Status();
        status.Retrying("https://c:7443/", 1, "refused", TimeSpan.FromSeconds(1));
        Assert.StartsWith("READY=1\n", Receive());

        status.Connected("https://c:7443/", "pi-1 (n-42)");

        Assert.Equal("STATUS=connected to https://c:7443/ as node pi-1 (n-42); last step: none", Receive());
    }

    [Fact]
    public void StepsBeforeConnecting_UpdateStatusButAreNotReady()
    {
        var status = Status();

        status.StepStarted("s-1", "Download");
        Assert.Equal("STATUS=starting; last step: Download s-1 running", Receive());
        status.StepFinished("s-1", "Download", "Succeeded");
        Assert.Equal("STATUS=starting; last step: Download s-1 succeeded", Receive());

        status.Connected("https://c:7443/", "pi-1 (n-42)");
        Assert.Equal("READY=1\nSTATUS=connected to https://c:7443/ as node pi-1 (n-42); last step: Download s-1 succeeded", Receive());
    }

    [Fact]
    public void Retrying_MultiLineReason_StaysOneStatusLine()
    {
        var status = Status();

        status.Retrying("https://c:7443/", 2, "first line\nsecond line\r\nthird", TimeSpan.FromSeconds(2));

        var message = Receive();
        Assert.Equal(["READY=1", "STATUS=retrying https://c:7443/ in 2.0 s (attempt 2: first line second line third); last step: none"], message.Split('\n'));
    }

    [Fact]
    public void Stopping_SendsStoppingWithStatus()
    {
        var status = Status();

        status.Stopping();

        Assert.Equal("STOPPING=1\nSTATUS=stopping; last step: none", Receive());
    }

    [Fact]
    public void Watchdog_WithoutWatchdogUsec_SendsNothing()
    {
        var status = Status(watchdog: null);

        status.Watchdog();

        Assert.Null(status.WatchdogPing);
        Assert.False(Pending());
    }

    [Fact]
    public void Watchdog_WithTimeout_SendsWatchdogAndPingsAtHalfTheTimeout()
    {
        var status = Status(watchdog: TimeSpan.FromSeconds(60));

        status.Watchdog();

        Assert.Equal("WATCHDOG=1", Receive());
        Assert.Equal(TimeSpan.FromSeconds(30), status.WatchdogPing);
    }

    [Fact]
    public async Task WatchdogWhile_PingsEveryHalfTimeoutUntilTheTaskEnds()
    {
        var time = new FakeTimeProvider();
        var status = Status(watchdog: TimeSpan.FromSeconds(60));
        var work = new TaskCompletionSource();

        var watching = status.WatchdogWhile(work.Task, time);
        Assert.Equal("WATCHDOG=1", Receive());
        Assert.False(Pending());

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("WATCHDOG=1", Receive());
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("WATCHDOG=1", Receive());

        work.SetResult();
        await watching.WaitAsync(Wait);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(Pending());
    }

    [Fact]
    public async Task WatchdogWhile_FailedTask_ThrowsItsException()
    {
        var status = Status(watchdog: TimeSpan.FromSeconds(60));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => status.WatchdogWhile(Task.FromException(new InvalidOperationException("session failed")), new FakeTimeProvider()));

        Assert.Equal("session failed", ex.Message);
    }

    [Fact]
    public void AbstractSocketName_AtSign_IsReached()
    {
        using var abstractSocket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        var name = $"fleet-test-{Guid.NewGuid():N}";
        abstractSocket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        abstractSocket.ReceiveTimeout = (int)Wait.TotalMilliseconds;

        new SystemdNotifySocket("@" + name).Send("READY=1");

        var buffer = new byte[64];
        Assert.Equal("READY=1", Encoding.UTF8.GetString(buffer, 0, abstractSocket.Receive(buffer)));
    }

    [Fact]
    public void NoNotifySocket_IsDisabledAndKeepsTheStatusText()
    {
        var status = new SystemdStatus(new SystemdNotifySocket(null), null, NullLogger<SystemdStatus>.Instance);

        status.Connected("https://c:7443/", "pi-1 (n-42)");

        Assert.Equal("connected to https://c:7443/ as node pi-1 (n-42); last step: none", status.Status);
    }

    [Fact]
    public void SocketGone_DoesNotThrow()
    {
        var status = new SystemdStatus(new SystemdNotifySocket(_dir.Combine("no-such-socket")), TimeSpan.FromSeconds(10), NullLogger<SystemdStatus>.Instance);

        status.Connected("https://c:7443/", "pi-1 (n-42)");
        status.Watchdog();

        Assert.StartsWith("connected", status.Status);
    }

    [Theory]
    [InlineData("30000000", null, 42, 30)]
    [InlineData("30000000", "42", 42, 30)]
    [InlineData("30000000", "7", 42, null)]  // meant for another process
    [InlineData(null, null, 42, null)]
    [InlineData("", null, 42, null)]
    [InlineData("0", null, 42, null)]
    [InlineData("-5", null, 42, null)]
    [InlineData("soon", null, 42, null)]
    public void WatchdogTimeout_FromEnvironment(string? usec, string? pid, int processId, int? expectedSeconds) =>
        Assert.Equal(expectedSeconds is { } s ? TimeSpan.FromSeconds(s) : null, SystemdStatus.WatchdogTimeout(usec, pid, processId));

    [Fact]
    public void FromEnvironment_ReadsSystemdVariables()
    {
        var env = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = SocketPath, ["WATCHDOG_USEC"] = "20000000", ["WATCHDOG_PID"] = "99" };

        var status = SystemdStatus.FromEnvironment(k => env.GetValueOrDefault(k), 99, NullLogger<SystemdStatus>.Instance);
        status.Watchdog();

        Assert.Equal(TimeSpan.FromSeconds(10), status.WatchdogPing);
        Assert.Equal("WATCHDOG=1", Receive());
    }
}

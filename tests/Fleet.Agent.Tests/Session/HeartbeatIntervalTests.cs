using Fleet.Agent.Session;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Agent.Tests.Session;

public sealed class HeartbeatIntervalTests
{
    [Fact]
    public void Current_Initially_IsTheConfiguredInterval() =>
        Assert.Equal(TimeSpan.FromSeconds(5), new HeartbeatInterval(TimeSpan.FromSeconds(5)).Current);

    [Fact]
    public void Set_Positive_ChangesCurrent()
    {
        var interval = new HeartbeatInterval(TimeSpan.FromSeconds(5));

        interval.Set(TimeSpan.FromSeconds(2));

        Assert.Equal(TimeSpan.FromSeconds(2), interval.Current);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    public void Set_ZeroOrNegative_IsIgnored(int milliseconds)
    {
        var interval = new HeartbeatInterval(TimeSpan.FromSeconds(5));

        interval.Set(TimeSpan.FromMilliseconds(milliseconds));

        Assert.Equal(TimeSpan.FromSeconds(5), interval.Current);
    }

    [Fact]
    public async Task WaitAsync_SetDuringWait_ReturnsEarly()
    {
        var interval = new HeartbeatInterval(TimeSpan.FromSeconds(30));
        var wait = interval.WaitAsync(TimeProvider.System, CancellationToken.None);
        await Task.Delay(TimeSpan.FromMilliseconds(100));
        Assert.False(wait.IsCompleted);

        interval.Set(TimeSpan.FromSeconds(1));

        await wait.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WaitAsync_NoChange_WaitsTheWholeInterval()
    {
        var time = new FakeTimeProvider();
        var interval = new HeartbeatInterval(TimeSpan.FromSeconds(30));

        var wait = interval.WaitAsync(time, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(wait.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        await wait.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WaitAsync_SetToZeroOrSameDuringWait_KeepsWaiting()
    {
        var time = new FakeTimeProvider();
        var interval = new HeartbeatInterval(TimeSpan.FromSeconds(30));
        var wait = interval.WaitAsync(time, CancellationToken.None);

        interval.Set(TimeSpan.Zero);
        interval.Set(TimeSpan.FromSeconds(-5));
        interval.Set(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromMilliseconds(50));

        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(30));
        await wait.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WaitAsync_AfterSet_WaitsTheNewInterval()
    {
        var time = new FakeTimeProvider();
        var interval = new HeartbeatInterval(TimeSpan.FromSeconds(30));
        interval.Set(TimeSpan.FromSeconds(2));

        var wait = interval.WaitAsync(time, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(2));

        await wait.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WaitAsync_Cancelled_Throws()
    {
        var interval = new HeartbeatInterval(TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource();
        var wait = interval.WaitAsync(new FakeTimeProvider(), cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(5)));
    }
}

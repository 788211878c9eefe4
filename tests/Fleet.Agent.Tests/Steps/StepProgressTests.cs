using System.Threading.Channels;
using Fleet.Agent.Steps;
using Fleet.V1;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Agent.Tests.Steps;

public sealed class StepProgressTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly Channel<AgentMessage> _outbox = Channel.CreateUnbounded<AgentMessage>();
    private readonly StepProgress _progress;

    public StepProgressTests()
    {
        var sink = new StepSink();
        sink.Attach(_outbox.Writer);
        _progress = new StepProgress("step-1", sink, _time);
    }

    [Fact]
    public async Task State_IsSentWithTheStepId()
    {
        await _progress.StateAsync(StepState.Verifying, CancellationToken.None);

        var update = Assert.Single(Updates());
        Assert.Equal(("step-1", StepState.Verifying), (update.Id, update.State));
    }

    [Fact]
    public async Task Log_IsSentWithTheCurrentStateAndKept()
    {
        await _progress.StateAsync(StepState.Downloading, CancellationToken.None);

        _progress.Log("attempt 1 failed");

        var update = Updates()[^1];
        Assert.Equal(StepState.Downloading, update.State);
        Assert.Equal(["attempt 1 failed"], update.LogLines);
        Assert.Equal(["attempt 1 failed"], _progress.Lines);
    }

    [Fact]
    public async Task Bytes_AreThrottledToAFewASecond()
    {
        await _progress.BytesAsync(100, 1000, CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await _progress.BytesAsync(200, 1000, CancellationToken.None); // dropped: too soon
        _time.Advance(TimeSpan.FromMilliseconds(200));
        await _progress.BytesAsync(300, 1000, CancellationToken.None);

        Assert.Equal([100L, 300L], Updates().Select(u => u.BytesDone));
    }

    [Fact]
    public async Task Bytes_Forced_AreSentAtOnce()
    {
        await _progress.BytesAsync(100, 1000, CancellationToken.None);
        await _progress.BytesAsync(1000, 1000, CancellationToken.None, force: true);

        Assert.Equal([(100L, 1000L), (1000L, 1000L)], Updates().Select(u => (u.BytesDone, u.BytesTotal)));
    }

    private List<StepUpdate> Updates()
    {
        var updates = new List<StepUpdate>();
        while (_outbox.Reader.TryRead(out var message))
        {
            updates.Add(message.StepUpdate);
        }

        return updates;
    }
}

using System.Threading.Channels;
using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps;

public sealed class StepSinkTests
{
    private static readonly AgentMessage Result = new() { StepResult = new StepResult { Id = "step-1", Outcome = StepOutcome.Succeeded } };

    [Fact]
    public async Task Send_NoOutbox_IsDropped()
    {
        var sink = new StepSink();

        var send = sink.SendAsync(Result, CancellationToken.None);

        Assert.True(send.IsCompletedSuccessfully);
        await send;
    }

    [Fact]
    public async Task Send_Attached_ArrivesInTheOutbox()
    {
        var sink = new StepSink();
        var outbox = Channel.CreateUnbounded<AgentMessage>();
        sink.Attach(outbox.Writer);

        await sink.SendAsync(Result, CancellationToken.None);

        Assert.True(outbox.Reader.TryRead(out var message));
        Assert.Equal("step-1", message.StepResult.Id);
    }

    [Fact]
    public async Task Send_AfterDetach_IsDropped()
    {
        var sink = new StepSink();
        var outbox = Channel.CreateUnbounded<AgentMessage>();
        sink.Attach(outbox.Writer);

        sink.Detach(outbox.Writer);
        await sink.SendAsync(Result, CancellationToken.None);

        Assert.False(outbox.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Detach_AnOlderSessionsOutbox_KeepsTheNewOne()
    {
        // A session that ends after its successor attached must not cut the successor off.
        var sink = new StepSink();
        var old = Channel.CreateUnbounded<AgentMessage>();
        var current = Channel.CreateUnbounded<AgentMessage>();
        sink.Attach(old.Writer);
        sink.Attach(current.Writer);

        sink.Detach(old.Writer);
        await sink.SendAsync(Result, CancellationToken.None);

        Assert.True(current.Reader.TryRead(out _));
        Assert.False(old.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Send_OutboxClosed_DoesNotThrow()
    {
        var sink = new StepSink();
        var outbox = Channel.CreateUnbounded<AgentMessage>();
        sink.Attach(outbox.Writer);
        outbox.Writer.Complete();

        await sink.SendAsync(Result, CancellationToken.None);

        Assert.True(outbox.Reader.Completion.IsCompleted);
    }

    [Fact]
    public async Task Send_FullOutbox_WaitsForRoom()
    {
        var sink = new StepSink();
        var outbox = Channel.CreateBounded<AgentMessage>(1);
        sink.Attach(outbox.Writer);
        await sink.SendAsync(Result, CancellationToken.None);

        var second = sink.SendAsync(Result, CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted);
        await outbox.Reader.ReadAsync();

        await second.DefaultTimeout();
        Assert.True(outbox.Reader.TryRead(out _));
    }
}

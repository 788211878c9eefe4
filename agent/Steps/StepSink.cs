using System.Threading.Channels;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// Where step updates and results go: the outbox of the session that is open right now. Steps
/// outlive sessions; while there is none, messages are dropped (a finished step's result is in the
/// journal, and the coordinator re-sends the step to collect it).
/// </summary>
public sealed class StepSink
{
    private volatile ChannelWriter<AgentMessage>? _outbox;

    public void Attach(ChannelWriter<AgentMessage> outbox) => _outbox = outbox;

    public void Detach(ChannelWriter<AgentMessage> outbox) => Interlocked.CompareExchange(ref _outbox, null, outbox);

    public async ValueTask SendAsync(AgentMessage message, CancellationToken ct)
    {
        if (_outbox is not { } outbox)
        {
            return;
        }

        try
        {
            await outbox.WriteAsync(message, ct);
        }
        catch (ChannelClosedException)
        {
            // The session ended while we wrote; see the class comment.
        }
    }
}

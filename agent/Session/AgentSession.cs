using System.Threading.Channels;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Facts;
using Fleet.Agent.Health;
using Fleet.Agent.Steps;
using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Session;

/// <summary>
/// One Connect stream: Hello, then a heartbeat every interval while reading the coordinator's messages.
/// Everything written to the stream goes through one outbox, drained by one writer.
/// Returns when the coordinator ends the stream; throws when the stream fails.
/// </summary>
public sealed class AgentSession(
    AgentService.AgentServiceClient client,
    NodeCredentials credentials,
    FactsCollector facts,
    HealthSampler health,
    HeartbeatInterval interval,
    ClockOffset clock,
    StepRunner steps,
    StepSink stepSink,
    UpgradeConfirmation upgrade,
    TimeProvider time,
    ILogger<AgentSession> logger)
{
    /// <param name="established">Called once the coordinator has accepted the Hello.</param>
    public async Task RunAsync(Action established, CancellationToken ct)
    {
        var hello = new Hello { Facts = await facts.CollectAsync(ct) };
        hello.FinishedStepIds.AddRange(steps.FinishedIds(1000));
        using var sessionCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Who this node is travels in the TLS client certificate, not in the call.
        using var call = client.Connect(cancellationToken: sessionCts.Token);

        var outbox = Channel.CreateBounded<AgentMessage>(new BoundedChannelOptions(64) { SingleReader = true });
        await outbox.Writer.WriteAsync(new AgentMessage { Hello = hello }, ct);
        stepSink.Attach(outbox.Writer);

        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = WriteAsync(call.RequestStream, outbox.Reader, sessionCts.Token);
        var reader = ReadAsync(call.ResponseStream, () => { established(); accepted.TrySetResult(); }, outbox.Writer, ct, sessionCts.Token);
        var heartbeats = HeartbeatAsync(accepted.Task, outbox.Writer, sessionCts.Token);

        var first = await Task.WhenAny(reader, writer, heartbeats);
        await sessionCts.CancelAsync();
        try
        {
            await first; // the task that ended the session says why
        }
        finally
        {
            stepSink.Detach(outbox.Writer);
            outbox.Writer.TryComplete();

            // Observe the others' cancellation so no exception goes unobserved.
            await Task.WhenAll(reader, writer, heartbeats).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    private static async Task WriteAsync(IClientStreamWriter<AgentMessage> stream, ChannelReader<AgentMessage> outbox, CancellationToken ct)
    {
        await foreach (var message in outbox.ReadAllAsync(ct))
        {
            await stream.WriteAsync(message, ct);
        }
    }

    /// <param name="stopping">The agent's lifetime: steps outlive the session that brought them.</param>
    private async Task ReadAsync(IAsyncStreamReader<CoordinatorMessage> stream, Action established, ChannelWriter<AgentMessage> outbox, CancellationToken stopping, CancellationToken ct)
    {
        var accepted = false;
        await foreach (var message in stream.ReadAllAsync(ct))
        {
            switch (message.KindCase)
            {
                case CoordinatorMessage.KindOneofCase.Reconfigure:
                    if (message.Reconfigure.HeartbeatInterval is { } d && d.ToTimeSpan() > TimeSpan.Zero)
                    {
                        interval.Set(d.ToTimeSpan());
                    }

                    if (message.Reconfigure.ServerTime is { } t)
                    {
                        clock.Observe(t.ToDateTimeOffset());
                    }

                    if (!accepted)
                    {
                        accepted = true;
                        upgrade.ConfirmIfPending(); // a pending upgrade to this version: the watchdog's deadline is met
                        established();
                        AgentLog.Connected(logger, credentials.NodeId, interval.Current.TotalSeconds);
                    }

                    break;
                case CoordinatorMessage.KindOneofCase.Ping:
                    if (message.Ping.ServerTime is { } serverTime)
                    {
                        clock.Observe(serverTime.ToDateTimeOffset());
                    }

                    break;
                case CoordinatorMessage.KindOneofCase.StepRequest:
                    _ = steps.Start(message.StepRequest, stopping);
                    break;
                case CoordinatorMessage.KindOneofCase.CancelStep:
                    steps.Cancel(message.CancelStep.Id);
                    break;
                default:
                    AgentLog.UnknownMessage(logger, message.KindCase.ToString());
                    break;
            }
        }

        outbox.TryComplete();
        throw new RpcException(new Status(StatusCode.Unavailable, "the coordinator closed the session"));
    }

    /// <summary>Heartbeats start once the coordinator has accepted the Hello and said how often it wants them.</summary>
    private async Task HeartbeatAsync(Task accepted, ChannelWriter<AgentMessage> outbox, CancellationToken ct)
    {
        await accepted.WaitAsync(ct);
        var factsAt = steps.Changes;
        while (true)
        {
            var sample = await health.SampleAsync(ct);
            var beat = new Heartbeat { SentAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()), Health = sample };
            if (steps.Changes is var changes && changes != factsAt)
            {
                beat.Facts = await facts.CollectAsync(ct); // e.g. the CNI plugins a step just installed
                factsAt = changes;
            }

            await outbox.WriteAsync(new AgentMessage { Heartbeat = beat }, ct);
            await interval.WaitAsync(time, ct);
        }
    }
}

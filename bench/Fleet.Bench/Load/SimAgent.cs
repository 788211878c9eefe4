using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Fleet.Agent.Session;
using Fleet.Security;
using Fleet.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fleet.Bench.Load;

/// <summary>
/// One simulated agent, speaking the real protocol as agent/Session does: enrolled with a join token
/// (a key made here, a CSR, a certificate from the coordinator's CA), then one Connect stream over
/// mTLS on a connection of its own: Hello, heartbeats at the interval the coordinator asks for, and
/// an answer to every step after <see cref="SimFleetContext.StepDuration"/>. After any failure it waits
/// with the real agent's <see cref="Backoff"/> (1 s base, 30 s cap, full jitter) and connects again.
/// It does not sample the node: its facts and health are a fixed, realistic message.
/// </summary>
internal sealed class SimAgent : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);
    private readonly SimFleetContext _context;
    private readonly int _index;
    private readonly Backoff _backoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), Random.Shared);
    private readonly ConcurrentDictionary<string, bool> _steps = new(StringComparer.Ordinal); // id -> finished
    private readonly HealthSample _health = SimFleetContext.HealthTemplate();
    private X509Certificate2? _certificate;
    private SocketsHttpHandler? _handler;
    private GrpcChannel? _channel;
    private TimeSpan _interval = TimeSpan.FromSeconds(5);
    private volatile ChannelWriter<AgentMessage>? _outbox;

    public SimAgent(SimFleetContext context, int index)
    {
        _context = context;
        _index = index;
        Name = $"sim-{index:D5}";
        Source = SourceAddresses.For(index);
    }

    public string Name { get; }

    public IPAddress Source { get; }

    /// <summary>Whether the coordinator has accepted the current session.</summary>
    public bool Connected { get; private set; }

    /// <summary>`fleet-agent enroll`: a new key, a CSR with the node name, the join token; keeps the certificate.</summary>
    public async Task EnrollAsync(string token, CancellationToken ct)
    {
        using var request = SigningRequest.Create(Name);
        using var handler = _context.Handler(Source, clientCertificate: null);
        using var channel = GrpcChannel.ForAddress(_context.Coordinator, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var response = await new AgentService.AgentServiceClient(channel).EnrollAsync(
            new EnrollRequest { Token = token, Csr = ByteString.CopyFrom(request.Der) },
            deadline: DateTime.UtcNow + CallTimeout,
            cancellationToken: ct);
        var certificate = request.Join(response.Certificate.ToByteArray());
        if (certificate.GetNameInfo(X509NameType.SimpleName, false) != Name || !FleetCaTrust.IsValid(certificate, _context.Ca, CertificateRole.Client))
        {
            throw new InvalidOperationException($"{Name}: the coordinator returned a certificate that is not this node's or not from its CA");
        }

        _certificate = certificate;
    }

    /// <summary>Connects and stays connected until <paramref name="ct"/> fires (the agent's CoordinatorConnection loop).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        if (_certificate is null)
        {
            throw new InvalidOperationException($"{Name}: enroll first");
        }

        // One channel for the agent's lifetime, as the real agent keeps one; each session is a call on it.
        _handler ??= _context.Handler(Source, _certificate);
        _channel ??= GrpcChannel.ForAddress(_context.Coordinator, new GrpcChannelOptions { HttpHandler = _handler, DisposeHttpClient = false });
        var client = new AgentService.AgentServiceClient(_channel);
        var attempt = 0;
        while (!ct.IsCancellationRequested)
        {
            var established = false;
            try
            {
                await SessionAsync(client, () => established = true, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException or OperationCanceledException or InvalidOperationException)
            {
                _context.Recorder.Failed();
                if (established)
                {
                    attempt = 0;
                }

                var delay = _backoff.Delay(attempt);
                attempt++;
                try
                {
                    await Task.Delay(delay, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            finally
            {
                Connected = false;
            }
        }
    }

    private async Task SessionAsync(AgentService.AgentServiceClient client, Action established, CancellationToken ct)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var call = client.Connect(cancellationToken: session.Token);
        var outbox = Channel.CreateBounded<AgentMessage>(new BoundedChannelOptions(64) { SingleReader = true });
        var hello = new Hello { Facts = SimFleetContext.Facts(Name, _index) };
        hello.FinishedStepIds.AddRange(_steps.Where(s => s.Value).Select(s => s.Key));
        outbox.Writer.TryWrite(new AgentMessage { Hello = hello });
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = WriteAsync(call.RequestStream, outbox.Reader, session.Token);
        var reader = ReadAsync(call.ResponseStream, outbox.Writer, () => { established(); accepted.TrySetResult(); }, session.Token);
        var heartbeats = HeartbeatAsync(accepted.Task, outbox.Writer, session.Token);
        _outbox = outbox.Writer;
        var first = await Task.WhenAny(reader, writer, heartbeats);
        await session.CancelAsync();
        try
        {
            await first;
        }
        finally
        {
            _outbox = null;
            outbox.Writer.TryComplete();
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

    private async Task ReadAsync(IAsyncStreamReader<CoordinatorMessage> stream, ChannelWriter<AgentMessage> outbox, Action accepted, CancellationToken ct)
    {
        var registered = false;
        await foreach (var message in stream.ReadAllAsync(ct))
        {
            switch (message.KindCase)
            {
                case CoordinatorMessage.KindOneofCase.Reconfigure:
                    if (message.Reconfigure.HeartbeatInterval?.ToTimeSpan() is { } interval && interval > TimeSpan.Zero)
                    {
                        _interval = interval;
                    }

                    if (!registered)
                    {
                        registered = true;
                        Connected = true;
                        _context.Recorder.Registered();
                        accepted();
                    }

                    break;
                case CoordinatorMessage.KindOneofCase.StepRequest:
                    OnStep(message.StepRequest, outbox);
                    break;
                case CoordinatorMessage.KindOneofCase.Ping:
                case CoordinatorMessage.KindOneofCase.CancelStep:
                    break;
                default:
                    throw new InvalidOperationException($"{Name}: unknown coordinator message {message.KindCase}");
            }
        }

        throw new RpcException(new Status(StatusCode.Unavailable, "the coordinator closed the session"));
    }

    /// <summary>A step is answered once: from the "journal" when it finished already, ignored while it runs.</summary>
    private void OnStep(StepRequest request, ChannelWriter<AgentMessage> outbox)
    {
        _context.Recorder.StepReceived(request.Id);
        if (_steps.TryGetValue(request.Id, out var finished))
        {
            if (finished)
            {
                outbox.TryWrite(Result(request.Id, fromJournal: true));
            }

            return;
        }

        _steps[request.Id] = false;
        _ = RunStepAsync(request.Id);
    }

    private async Task RunStepAsync(string id)
    {
        if (_context.StepDuration > TimeSpan.Zero)
        {
            await Task.Delay(_context.StepDuration);
        }

        _steps[id] = true;
        // The session that brought the step may be gone; then the coordinator re-sends it on the next one.
        if (_outbox is { } outbox)
        {
            await outbox.WriteAsync(Result(id, fromJournal: false)).AsTask().ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    private static AgentMessage Result(string id, bool fromJournal) => new()
    {
        StepResult = new StepResult { Id = id, Outcome = StepOutcome.Succeeded, FromJournal = fromJournal },
    };

    private async Task HeartbeatAsync(Task accepted, ChannelWriter<AgentMessage> outbox, CancellationToken ct)
    {
        await accepted.WaitAsync(ct);
        var due = Clock.NowMs;
        while (true)
        {
            var now = Clock.NowMs;
            _health.SampledAt = Timestamp.FromDateTime(DateTime.UtcNow);
            await outbox.WriteAsync(new AgentMessage { Heartbeat = new Heartbeat { SentAt = _health.SampledAt, Health = _health.Clone() } }, ct);
            _context.Recorder.HeartbeatSent(now - due);
            due = Clock.NowMs + _interval.TotalMilliseconds;
            await Task.Delay(_interval, ct);
        }
    }

    public void Dispose()
    {
        _channel?.Dispose();
        _handler?.Dispose();
        _certificate?.Dispose();
    }
}

using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Metrics;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Steps;
using Fleet.Coordinator.Security;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fleet.Coordinator.Agents;

/// <summary>
/// The agents' API. Enrollment (no client certificate) is the <see cref="Enroller"/>'s; the Connect
/// stream takes its identity from the client certificate, a validated Hello first (its node name
/// must be the certificate's), then heartbeats. One writer task drains the session's outbox; the
/// newest stream of a node wins.
/// </summary>
public sealed class AgentApi(
    INodeIdentityResolver identities,
    CertificateAuthority ca,
    Enroller enroller,
    EnrollThrottle enrollThrottle,
    INodeStore store,
    AgentRegistry registry,
    FleetMetrics metrics,
    StepDispatcher steps,
    CoordinatorOptions options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<AgentApi> logger) : AgentService.AgentServiceBase
{
    public override Task<CaCertificate> GetCaCertificate(GetCaCertificateRequest request, ServerCallContext context) =>
        Task.FromResult(new CaCertificate { Der = Google.Protobuf.ByteString.CopyFrom(ca.Certificate.RawData) });

    public override Task<EnrollResponse> Enroll(EnrollRequest request, ServerCallContext context)
    {
        enrollThrottle.Check(context);
        return enroller.EnrollAsync(request, context.Peer, context.CancellationToken);
    }

    public override async Task<RenewCertificateResponse> RenewCertificate(RenewCertificateRequest request, ServerCallContext context) =>
        await enroller.RenewAsync(await identities.ResolveAsync(context), request, context.Peer, context.CancellationToken);

    public override async Task Connect(IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<CoordinatorMessage> responseStream, ServerCallContext context)
    {
        var identity = await identities.ResolveAsync(context);
        var nodeId = identity.NodeId;
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct))
        {
            return;
        }

        var hello = requestStream.Current.KindCase == AgentMessage.KindOneofCase.Hello
            ? requestStream.Current.Hello
            : throw Reject(StatusCode.FailedPrecondition, nodeId, $"the first message of a session must be Hello, not {requestStream.Current.KindCase}");
        if (HelloValidator.Problems(hello) is { Count: > 0 } problems)
        {
            throw Reject(StatusCode.InvalidArgument, nodeId, $"invalid Hello: {string.Join("; ", problems)}");
        }

        if (hello.Facts.NodeName != identity.Name)
        {
            throw Reject(StatusCode.PermissionDenied, nodeId, $"the Hello names node \"{hello.Facts.NodeName}\" but the client certificate is node \"{identity.Name}\"");
        }

        try
        {
            await store.UpsertHelloAsync(nodeId, hello.Facts, time.GetUtcNow(), ct);
        }
        catch (NodeNameConflictException ex)
        {
            throw Reject(StatusCode.AlreadyExists, nodeId, ex.Message);
        }

        using var agent = new ConnectedAgent(nodeId, hello.Facts.NodeName, context.Peer) { Approved = identity.Approved };
        if (registry.Attach(agent) is { } replaced)
        {
            CoordinatorLog.SessionReplaced(logger, agent.NodeName, replaced.Peer, agent.Peer);
        }

        CoordinatorLog.AgentConnected(logger, agent.NodeName, hello.Facts.Arch.ToName(), agent.Peer, hello.Facts.AgentVersion);
        metrics.AgentsConnected.Inc();
        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct, agent.Closed, lifetime.ApplicationStopping);
        var writer = WriteAsync(agent, responseStream, session.Token);
        var pinger = PingAsync(agent, session.Token);
        _ = writer.ContinueWith(_ => session.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        try
        {
            await agent.Outbox.Writer.WriteAsync(Reconfigure(), session.Token);
            await steps.ResendAsync(agent, session.Token);
            await ReadAsync(agent, requestStream, session.Token);
        }
        catch (OperationCanceledException) when (agent.Closed.IsCancellationRequested)
        {
            throw new RpcException(agent.CloseStatus);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Long-lived streams end at once on shutdown, so a restart does not wait for them.
            throw new RpcException(new Status(StatusCode.Unavailable, "the coordinator is shutting down"));
        }
        finally
        {
            metrics.AgentsConnected.Dec();
            registry.Detach(agent);
            await session.CancelAsync();
            await Task.WhenAll(writer, pinger).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            CoordinatorLog.AgentDisconnected(logger, agent.NodeName, agent.Peer);
        }
    }

    private async Task ReadAsync(ConnectedAgent agent, IAsyncStreamReader<AgentMessage> requestStream, CancellationToken ct)
    {
        while (await requestStream.MoveNext(ct))
        {
            var message = requestStream.Current;
            switch (message.KindCase)
            {
                case AgentMessage.KindOneofCase.Heartbeat when message.Heartbeat.Health is { } health:
                    if (message.Heartbeat.Facts is { } facts)
                    {
                        await UpdateFactsAsync(agent, facts, ct);
                    }

                    await store.RecordHeartbeatAsync(agent.NodeId, health, time.GetUtcNow(), ct);
                    metrics.HeartbeatsReceived.Inc();
                    if (message.Heartbeat.SentAt is { } sentAt)
                    {
                        metrics.ObserveHeartbeatLag(sentAt.ToDateTimeOffset(), time.GetUtcNow());
                    }
                    break;
                case AgentMessage.KindOneofCase.StepUpdate:
                    await steps.OnUpdateAsync(agent.NodeId, message.StepUpdate);
                    break;
                case AgentMessage.KindOneofCase.StepResult:
                    steps.OnResult(agent.NodeId, message.StepResult);
                    break;
                case AgentMessage.KindOneofCase.Heartbeat:
                    throw Reject(StatusCode.InvalidArgument, agent.NodeId, "invalid Heartbeat: health: missing");
                case AgentMessage.KindOneofCase.Hello:
                    throw Reject(StatusCode.FailedPrecondition, agent.NodeId, "Hello sent twice in one session");
                default:
                    throw Reject(StatusCode.InvalidArgument, agent.NodeId, $"unknown message kind {message.KindCase}");
            }
        }
    }

    /// <summary>Facts re-sent in a heartbeat are checked like a Hello's; the node's name cannot change mid-session.</summary>
    private async Task UpdateFactsAsync(ConnectedAgent agent, NodeFacts facts, CancellationToken ct)
    {
        var problems = HelloValidator.Problems(new Hello { Facts = facts }).ToList();
        if (facts.NodeName != agent.NodeName)
        {
            problems.Add($"facts.node_name: \"{facts.NodeName}\" differs from this session's node \"{agent.NodeName}\"");
        }

        if (problems.Count > 0)
        {
            throw Reject(StatusCode.InvalidArgument, agent.NodeId, $"invalid Heartbeat facts: {string.Join("; ", problems)}");
        }

        await store.UpsertHelloAsync(agent.NodeId, facts, time.GetUtcNow(), ct);
    }

    private static async Task WriteAsync(ConnectedAgent agent, IServerStreamWriter<CoordinatorMessage> stream, CancellationToken ct)
    {
        await foreach (var message in agent.Outbox.Reader.ReadAllAsync(ct))
        {
            await stream.WriteAsync(message, ct);
        }
    }

    private async Task PingAsync(ConnectedAgent agent, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(options.PingInterval, time, ct);
            await agent.Outbox.Writer.WriteAsync(new CoordinatorMessage { Ping = new Ping { ServerTime = Now() } }, ct);
        }
    }

    private CoordinatorMessage Reconfigure() => new()
    {
        Reconfigure = new Reconfigure
        {
            HeartbeatInterval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(options.HeartbeatInterval),
            ServerTime = Now(),
        },
    };

    private Timestamp Now() => Timestamp.FromDateTimeOffset(time.GetUtcNow());

    private RpcException Reject(StatusCode code, string nodeId, string detail)
    {
        CoordinatorLog.SessionRejected(logger, nodeId, detail);
        return new RpcException(new Status(code, detail));
    }
}

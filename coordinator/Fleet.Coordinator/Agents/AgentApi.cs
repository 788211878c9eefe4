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
    IEnrollmentStore enrollments,
    NodeRateLimits rates,
    AgentLimits limits,
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

    public override async Task<RenewCertificateResponse> RenewCertificate(RenewCertificateRequest request, ServerCallContext context)
    {
        var identity = await identities.ResolveAsync(context);
        if (!rates.TryRenewal(identity.NodeId))
        {
            throw Refuse(StatusCode.ResourceExhausted, identity.NodeId, "renewal-rate", $"too many certificate renewals from node \"{identity.Name}\"; at most {limits.RenewalBurst} at once, then one every {limits.RenewalRefill.TotalMinutes:0} minutes");
        }

        return await enroller.RenewAsync(identity, request, context.Peer, context.CancellationToken);
    }

    public override async Task Connect(IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<CoordinatorMessage> responseStream, ServerCallContext context)
    {
        var identity = await identities.ResolveAsync(context);
        var nodeId = identity.NodeId;
        var ct = context.CancellationToken;
        if (await ReadHelloAsync(requestStream, nodeId, ct) is not { } hello)
        {
            return; // the stream ended before it said anything
        }

        if (HelloValidator.Problems(hello, limits) is { Count: > 0 } problems)
        {
            throw Refuse(StatusCode.InvalidArgument, nodeId, "invalid-hello", $"invalid Hello: {string.Join("; ", problems)}");
        }

        if (hello.Facts.NodeName != identity.Name)
        {
            throw Reject(StatusCode.PermissionDenied, nodeId, $"the Hello names node \"{hello.Facts.NodeName}\" but the client certificate is node \"{identity.Name}\"");
        }

        if (!rates.TryHello(nodeId))
        {
            throw Refuse(StatusCode.ResourceExhausted, nodeId, "hello-rate", $"node \"{identity.Name}\" opens sessions too often; at most {limits.HelloBurst} at once, then one every {limits.HelloRefill.TotalSeconds:0.#} s");
        }

        await UpsertFactsAsync(identity, hello.Facts, ct);
        using var agent = new ConnectedAgent(nodeId, hello.Facts.NodeName, context.Peer) { Approved = identity.Approved, CertificateSerial = identity.CertificateSerial };
        if (registry.Attach(agent) is { } replaced)
        {
            CoordinatorLog.SessionReplaced(logger, agent.NodeName, replaced.Peer, agent.Peer);
        }

        // A removal commits, then closes the node's registered streams. Checked again after Attach,
        // a removal that committed before this stream was registered is seen here, so no stream
        // outlives its node's removal.
        if (!await enrollments.IsCurrentAsync(nodeId, identity.Name, identity.CertificateSerial, ct))
        {
            registry.Detach(agent);
            throw Reject(StatusCode.PermissionDenied, nodeId, AgentRegistry.RemovedReason, IdentityRefusal.Trailers(IdentityRefusal.NotEnrolled, identity.CertificateSerial));
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
            throw new RpcException(agent.CloseStatus, agent.CloseTrailers);
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
                    if (!rates.TryHeartbeat(agent.NodeId))
                    {
                        throw Refuse(StatusCode.ResourceExhausted, agent.NodeId, "heartbeat-rate", $"node \"{agent.NodeName}\" sends heartbeats too often; at most {limits.HeartbeatCapacity(options.HeartbeatInterval)} at once, then two per heartbeat interval ({options.HeartbeatInterval.TotalSeconds:0.###} s)");
                    }

                    if (health.CalculateSize() > limits.MaxHealthBytes)
                    {
                        throw Refuse(StatusCode.InvalidArgument, agent.NodeId, "health-size", $"invalid Heartbeat: health: {health.CalculateSize()} bytes, at most {limits.MaxHealthBytes}");
                    }

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
                    await steps.OnUpdateAsync(agent.NodeId, BoundLogLines(agent, message.StepUpdate));
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
        var problems = HelloValidator.Problems(new Hello { Facts = facts }, limits).ToList();
        if (facts.NodeName != agent.NodeName)
        {
            problems.Add($"facts.node_name: \"{facts.NodeName}\" differs from this session's node \"{agent.NodeName}\"");
        }

        if (problems.Count > 0)
        {
            throw Refuse(StatusCode.InvalidArgument, agent.NodeId, "invalid-facts", $"invalid Heartbeat facts: {string.Join("; ", problems)}");
        }

        await UpsertFactsAsync(new NodeIdentity(agent.NodeId, agent.NodeName, agent.Approved, agent.CertificateSerial), facts, ct);
    }

    /// <summary>The first message, within <see cref="AgentLimits.HelloTimeout"/>: a stream cannot wait, authenticated, for a removal to pass.</summary>
    private async Task<Hello?> ReadHelloAsync(IAsyncStreamReader<AgentMessage> requestStream, string nodeId, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(limits.HelloTimeout, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        bool received;
        try
        {
            received = await requestStream.MoveNext(wait.Token);
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested && ex is OperationCanceledException or IOException or RpcException)
        {
            throw Refuse(StatusCode.DeadlineExceeded, nodeId, "hello-timeout", $"no Hello within {limits.HelloTimeout.TotalSeconds:0.###} s of connecting");
        }

        return !received ? null : requestStream.Current.KindCase == AgentMessage.KindOneofCase.Hello
            ? requestStream.Current.Hello
            : throw Reject(StatusCode.FailedPrecondition, nodeId, $"the first message of a session must be Hello, not {requestStream.Current.KindCase}");
    }

    private async Task UpsertFactsAsync(NodeIdentity identity, NodeFacts facts, CancellationToken ct)
    {
        try
        {
            await store.UpsertHelloAsync(identity.NodeId, identity.CertificateSerial, facts, time.GetUtcNow(), ct);
        }
        catch (NodeNotEnrolledException ex)
        {
            throw Reject(StatusCode.PermissionDenied, identity.NodeId, ex.Message, IdentityRefusal.Trailers(IdentityRefusal.NotEnrolled, identity.CertificateSerial));
        }
        catch (NodeNameConflictException ex)
        {
            throw Reject(StatusCode.AlreadyExists, identity.NodeId, ex.Message);
        }
    }

    /// <summary>Log lines are bounded per message (more ends the stream) and in length (longer are cut).</summary>
    private StepUpdate BoundLogLines(ConnectedAgent agent, StepUpdate update)
    {
        if (update.LogLines.Count > limits.MaxLogLinesPerMessage)
        {
            throw Refuse(StatusCode.InvalidArgument, agent.NodeId, "log-lines", $"invalid StepUpdate: {update.LogLines.Count} log lines in one message, at most {limits.MaxLogLinesPerMessage}");
        }

        for (var i = 0; i < update.LogLines.Count; i++)
        {
            if (update.LogLines[i].Length > limits.MaxLogLineLength)
            {
                update.LogLines[i] = string.Concat(update.LogLines[i].AsSpan(0, limits.MaxLogLineLength), " [cut]");
            }
        }

        return update;
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

    /// <summary>A refusal of what a node sent, past a bound: counted by reason, then like <see cref="Reject"/>.</summary>
    private RpcException Refuse(StatusCode code, string nodeId, string reason, string detail)
    {
        metrics.AgentMessagesRefused.WithLabels(reason).Inc();
        return Reject(code, nodeId, detail);
    }

    private RpcException Reject(StatusCode code, string nodeId, string detail, Metadata? trailers = null)
    {
        CoordinatorLog.SessionRejected(logger, nodeId, detail);
        return new RpcException(new Status(code, detail), trailers ?? []);
    }
}

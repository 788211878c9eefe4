using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Metrics;
using Fleet.Coordinator.Steps;
using Fleet.Coordinator.Storage;
using Fleet.Testing;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>
/// Issue 12, finding 3: one node cannot exhaust the coordinator. A rogue agent with a real enrolled
/// certificate tries oversized messages and facts, floods of heartbeats, Hellos and renewals, and
/// floods of step log lines; each is refused (or bounded) with a clear status, counted, and stores nothing.
/// </summary>
public sealed class RogueLimitsTests : CoordinatorTest
{
    protected override void Configure(CoordinatorOptions options)
    {
        // Rates that cannot refill during a test, so a burst is exactly its budget.
        options.HeartbeatInterval = TimeSpan.FromHours(1);
        options.AgentLimits.HelloRefill = TimeSpan.FromHours(1);
        options.AgentLimits.MaxLogLinesPerStep = 5;
    }

    private double Refused(string reason) => Coordinator.Service<FleetMetrics>().AgentMessagesRefused.WithLabels(reason).Value;

    private static async Task<RogueSession> HelloAsync(RogueAgent rogue, Hello? hello = null)
    {
        var session = rogue.Connect();
        await session.SendAsync(hello ?? RogueAgent.Hello(rogue.Name));
        Assert.Equal(CoordinatorMessage.KindOneofCase.Reconfigure, (await session.ReadAsync().DefaultTimeout()).KindCase);
        return session;
    }

    [Fact]
    public async Task Hello_FactsOverTheSizeLimit_IsRefusedBeforeAnyWrite()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        var hello = RogueAgent.Hello("pi-1");
        for (var i = 0; i < 64; i++)
        {
            hello.Facts.Labels[$"k{i}"] = new string('v', 1020); // every field within its own bound, the whole over 64 KiB
        }

        using var session = rogue.Connect();
        await session.SendAsync(hello);
        var ex = await session.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Matches(@"^invalid Hello: facts: \d+ bytes, at most 65536$", ex.Status.Detail);
        Assert.Equal(1, Refused("invalid-hello"));
        Assert.Empty(await NodesAsync());
    }

    [Fact]
    public async Task Message_LargerThanTheAgentPortLimit_IsRefusedUnread()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        var hello = RogueAgent.Hello("pi-1");
        hello.Facts.BoardModel = new string('x', 300 * 1024); // under gRPC's 4 MiB default, over the agent port's 256 KiB

        using var session = rogue.Connect();
        await session.SendAsync(hello);
        var ex = await session.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("exceeds the maximum", ex.Status.Detail);
        Assert.Empty(await NodesAsync());
    }

    [Fact]
    public async Task Heartbeats_PastTheNodesBudget_EndTheStreamWithResourceExhausted()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        using var session = await HelloAsync(rogue);
        var burst = Coordinator.Options.AgentLimits.HeartbeatCapacity(Coordinator.Options.HeartbeatInterval);

        var sent = await session.FloodAsync(_ => new AgentMessage { Heartbeat = RogueAgent.Heartbeat() }, burst + 1);
        var ex = await session.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(burst + 1, sent);
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.StartsWith($"node \"pi-1\" sends heartbeats too often; at most {burst} at once", ex.Status.Detail);
        Assert.Equal(1, Refused("heartbeat-rate"));
        Assert.Equal(burst, Coordinator.Service<FleetMetrics>().HeartbeatsReceived.Value);
    }

    [Fact]
    public async Task Hellos_PastTheNodesBudget_AreRefusedWithResourceExhausted()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        var sessions = new List<RogueSession>();
        for (var i = 0; i < Coordinator.Options.AgentLimits.HelloBurst; i++)
        {
            sessions.Add(await HelloAsync(rogue)); // each new session replaces the previous one
        }

        using var last = rogue.Connect();
        await last.SendAsync(RogueAgent.Hello("pi-1"));
        var ex = await last.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.StartsWith("node \"pi-1\" opens sessions too often", ex.Status.Detail);
        Assert.Equal(1, Refused("hello-rate"));
        sessions.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task RenewCertificate_PastTheNodesBudget_IsRefusedAndIssuesNothing()
    {
        // Each renewal revokes the certificate it replaces, so the node goes on with each new one.
        var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        var burst = Coordinator.Options.AgentLimits.RenewalBurst;
        for (var i = 0; i < burst; i++)
        {
            var renewed = await rogue.RenewAsync();
            rogue.Dispose();
            rogue = renewed;
        }

        using var last = rogue;
        var ex = await Assert.ThrowsAsync<RpcException>(() => last.Client.RenewCertificateAsync(new RenewCertificateRequest { Csr = RogueAgent.Csr("pi-1") }).ResponseAsync.DefaultTimeout());

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.StartsWith("too many certificate renewals from node \"pi-1\"", ex.Status.Detail);
        Assert.Equal(1 + burst, await CertificatesOfAsync("pi-1"));
        Assert.Equal(1, Refused("renewal-rate"));
    }

    [Fact]
    public async Task StepUpdate_MoreLogLinesThanOneMessageMayCarry_EndsTheStream()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        using var session = await HelloAsync(rogue);
        var update = new StepUpdate { Id = "s1", State = StepState.Running };
        update.LogLines.AddRange(Enumerable.Range(0, 101).Select(i => $"line {i}"));

        await session.SendAsync(update);
        var ex = await session.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal((StatusCode.InvalidArgument, "invalid StepUpdate: 101 log lines in one message, at most 100"), (ex.StatusCode, ex.Status.Detail));
        Assert.Equal(1, Refused("log-lines"));
    }

    [Fact]
    public async Task StepUpdate_LogLinesPastTheStepsBudget_AreDroppedAndLongLinesCut()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        using var session = await HelloAsync(rogue);
        var node = Assert.Single(await NodesAsync());
        var received = new List<string>();
        var run = Coordinator.Service<StepDispatcher>().RunAsync(node.Id, new StepRequest { Id = "s1" }, u =>
        {
            received.AddRange(u.LogLines);
            return ValueTask.CompletedTask;
        }, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal("s1", (await session.ReadAsync().DefaultTimeout()).StepRequest.Id);

        for (var i = 0; i < 3; i++)
        {
            var update = new StepUpdate { Id = "s1", State = StepState.Running };
            update.LogLines.AddRange([i == 0 ? new string('x', 5000) : $"a{i}", $"b{i}", $"c{i}"]);
            await session.SendAsync(update);
        }

        await session.SendAsync(new AgentMessage { StepResult = new StepResult { Id = "s1", Outcome = StepOutcome.Succeeded } });
        await run.DefaultTimeout();

        Assert.Equal([new string('x', 1000) + " [cut]", "b0", "c0", "a1", "b1"], received);
        Assert.Equal(4, Coordinator.Service<FleetMetrics>().StepLogLinesDropped.Value);
    }

    [Fact]
    public async Task Heartbeat_HealthOverTheSizeLimit_EndsTheStreamAndIsNotStored()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        using var session = await HelloAsync(rogue);
        var beat = RogueAgent.Heartbeat();
        beat.Health.Checks.Add(new HealthCheck { Name = "memory", Status = HealthStatus.Ok, Reason = new string('r', 20 * 1024) });

        await session.SendAsync(beat);
        var ex = await session.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Matches(@"^invalid Heartbeat: health: \d+ bytes, at most 16384$", ex.Status.Detail);
        Assert.Null(Assert.Single(await NodesAsync()).Health);
    }

    private async Task<long> CertificatesOfAsync(string name)
    {
        await using var connection = await Coordinator.Service<SqliteDatabase>().OpenAsync(CancellationToken.None);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM certificates WHERE name = $name";
        count.Parameters.AddWithValue("$name", name);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}

using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Metrics;
using Fleet.Coordinator.Nodes;
using Fleet.Testing;
using Fleet.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>
/// Issue 12, finding 2: `nodes remove` cannot be dodged. A rogue agent (a real enrolled certificate,
/// any message sequence) that holds a stream open without Hello is ended after the Hello timeout;
/// a node removed while its stream is open, before or after its Hello, never gets its row back and
/// never stays attached; its name can be enrolled again.
/// </summary>
public sealed class RogueAdmissionTests : CoordinatorTest
{
    private readonly TaskCompletionSource<NodeIdentity> _resolved = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Func<Task>? _afterUpsert;

    protected override void Configure(CoordinatorOptions options) => options.AgentLimits.HelloTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Observes the real identity check and the real Hello write, to run a removal in each window deterministically.</summary>
    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<CertificateNodeIdentityResolver>();
        services.AddSingleton<INodeIdentityResolver>(sp => new SignallingResolver(sp.GetRequiredService<CertificateNodeIdentityResolver>(), _resolved));
        services.AddSingleton<SqliteNodeStore>();
        services.AddSingleton<INodeStore>(sp => new HookedStore(sp.GetRequiredService<SqliteNodeStore>(), () => _afterUpsert));
    }

    private async Task RemoveAsync(string name)
    {
        using var control = Coordinator.ControlChannel();
        await new ControlService.ControlServiceClient(control).RemoveNodeAsync(new RemoveNodeRequest { Name = name }).ResponseAsync.DefaultTimeout();
    }

    private double Refused(string reason) => Coordinator.Service<FleetMetrics>().AgentMessagesRefused.WithLabels(reason).Value;

    [Fact]
    public async Task Connect_SilentStream_IsEndedWithDeadlineExceededNamingTheTimeout()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        using var session = rogue.Connect();
        await _resolved.Task.DefaultTimeout(); // authenticated, and then it says nothing at all

        var ex = await session.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal((StatusCode.DeadlineExceeded, "no Hello within 0.5 s of connecting"), (ex.StatusCode, ex.Status.Detail));
        Assert.Equal(1, Refused("hello-timeout"));
        Assert.Empty(await NodesAsync());
        Assert.Equal(0, Coordinator.Service<AgentRegistry>().Count);
    }

    [Fact]
    public async Task Hello_AfterTheNodeWasRemovedWhileItsStreamWaited_IsRefusedAndDoesNotRecreateTheNode()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        using var session = rogue.Connect();
        await _resolved.Task.DefaultTimeout(); // the stream is authenticated as pi-1 ...
        await RemoveAsync("pi-1");             // ... then pi-1 is removed ...

        await session.SendAsync(RogueAgent.Hello("pi-1")); // ... and only then says Hello.
        var ex = await session.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("not enrolled with this certificate any more", ex.Status.Detail);
        Assert.Empty(await NodesAsync());
        Assert.Equal(0, Coordinator.Service<AgentRegistry>().Count);

        // The name is free: a new enrollment of pi-1 connects and is listed under its new id.
        using var again = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        using var next = again.Connect();
        await next.SendAsync(RogueAgent.Hello("pi-1"));
        Assert.Equal(CoordinatorMessage.KindOneofCase.Reconfigure, (await next.ReadAsync().DefaultTimeout()).KindCase);
        var node = Assert.Single(await NodesAsync());
        Assert.Equal(Fleet.Coordinator.Security.ClientSubject.Of(again.Certificate)!.NodeId, node.Id);
    }

    [Fact]
    public async Task Hello_NodeRemovedBetweenItsWriteAndItsAttach_StreamIsEndedAndNotAttached()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        _afterUpsert = () => RemoveAsync("pi-1"); // the removal commits after the Hello's write, before the stream is registered
        using var session = rogue.Connect();

        await session.SendAsync(RogueAgent.Hello("pi-1"));
        var ex = await session.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal((StatusCode.PermissionDenied, AgentRegistry.RemovedReason), (ex.StatusCode, ex.Status.Detail));
        Assert.Empty(await NodesAsync());
        Assert.Equal(0, Coordinator.Service<AgentRegistry>().Count);
    }

    [Fact]
    public async Task HeartbeatFacts_AfterRemoval_NeverRecreateTheNode()
    {
        using var rogue = await RogueAgent.EnrollAsync(Coordinator, "pi-1");
        using var session = rogue.Connect();
        await session.SendAsync(RogueAgent.Hello("pi-1"));
        await session.ReadAsync().DefaultTimeout();
        await RemoveAsync("pi-1");

        // Whatever it still manages to send, the stream is closed and the store keeps nothing.
        var beat = RogueAgent.Heartbeat();
        beat.Facts = RogueAgent.Hello("pi-1").Facts;
        await session.FloodAsync(_ => new AgentMessage { Heartbeat = beat }, 50);
        var ex = await session.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Empty(await NodesAsync());
        Assert.Null(await Coordinator.Service<IEnrollmentStore>().FindEnrollmentByNameAsync("pi-1", CancellationToken.None));
    }

    private sealed class SignallingResolver(INodeIdentityResolver inner, TaskCompletionSource<NodeIdentity> resolved) : INodeIdentityResolver
    {
        public async Task<NodeIdentity> ResolveAsync(ServerCallContext context)
        {
            var identity = await inner.ResolveAsync(context);
            resolved.TrySetResult(identity);
            return identity;
        }
    }

    private sealed class HookedStore(INodeStore inner, Func<Func<Task>?> afterUpsert) : INodeStore
    {
        public async Task UpsertHelloAsync(string nodeId, string certificateSerial, NodeFacts facts, DateTimeOffset at, CancellationToken ct)
        {
            await inner.UpsertHelloAsync(nodeId, certificateSerial, facts, at, ct);
            if (afterUpsert() is { } hook)
            {
                await hook();
            }
        }

        public Task RecordHeartbeatAsync(string nodeId, HealthSample health, DateTimeOffset at, CancellationToken ct) => inner.RecordHeartbeatAsync(nodeId, health, at, ct);

        public Task<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken ct) => inner.ListAsync(ct);

        public Task<NodeRecord?> FindByNameAsync(string name, CancellationToken ct) => inner.FindByNameAsync(name, ct);
    }
}

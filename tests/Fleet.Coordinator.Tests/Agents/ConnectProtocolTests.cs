using System.Security.Cryptography.X509Certificates;
using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Nodes;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>The Connect stream against the real coordinator on Kestrel, driven by hand.</summary>
public sealed class ConnectProtocolTests : CoordinatorTest
{
    private Task<X509Certificate2> EnrollAsync(string name) => Coordinator.EnrollAsync(name);

    [Fact]
    public async Task Connect_HelloThenHeartbeat_RegistersNodeAndHealth()
    {
        using var agent = new RawAgent(Coordinator, await EnrollAsync("node-a"));
        await agent.SendAsync(RawAgent.Hello("node-a", Arch.Arm64));

        var first = await agent.ReadAsync().DefaultTimeout();
        Assert.Equal(CoordinatorMessage.KindOneofCase.Reconfigure, first.KindCase);
        Assert.Equal(Coordinator.Options.HeartbeatInterval, first.Reconfigure.HeartbeatInterval.ToTimeSpan());
        Assert.NotNull(first.Reconfigure.ServerTime);

        var sample = new HealthSample();
        sample.Checks.Add(new HealthCheck { Name = "memory", Status = HealthStatus.Ok, Reason = "fine" });
        await agent.SendAsync(new Heartbeat { SentAt = Timestamp.FromDateTime(DateTime.UtcNow), Health = sample });

        var node = (await Eventually.Until(NodesAsync, n => n.Count == 1 && n[0].Health is not null, "the heartbeat is stored")).Single();
        Assert.Equal(("node-a", Arch.Arm64), (node.Name, node.Facts.Arch));
        Assert.Equal("fine", node.Health!.Checks.Single().Reason);
        Assert.True(Coordinator.Service<AgentRegistry>().IsConnected(node.Id));
    }

    [Fact]
    public async Task Heartbeat_WithChangedFacts_UpdatesTheNode()
    {
        using var agent = new RawAgent(Coordinator, await EnrollAsync("node-a"));
        await agent.SendAsync(RawAgent.Hello("node-a"));
        await agent.ReadAsync().DefaultTimeout();
        var facts = RawAgent.Hello("node-a").Facts;
        facts.CniPlugins.Add(["bridge", "loopback"]);

        await agent.SendAsync(new Heartbeat { Health = new HealthSample(), Facts = facts });

        await Eventually.Until(NodesAsync, n => n.Single().Facts.CniPlugins.Count == 2, "the new facts are stored");
    }

    [Fact]
    public async Task Heartbeat_WithFactsOfAnotherName_IsRefused()
    {
        using var agent = new RawAgent(Coordinator, await EnrollAsync("node-a"));
        await agent.SendAsync(RawAgent.Hello("node-a"));
        await agent.ReadAsync().DefaultTimeout();

        await agent.SendAsync(new Heartbeat { Health = new HealthSample(), Facts = RawAgent.Hello("node-b").Facts });
        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("differs from this session's node \"node-a\"", ex.Status.Detail);
        Assert.Equal("node-a", Assert.Single(await NodesAsync()).Name);
    }

    [Fact]
    public async Task Connect_WithoutClientCertificate_IsUnauthenticated()
    {
        using var agent = new RawAgent(Coordinator, certificate: null);
        await agent.SendAsync(RawAgent.Hello("node-a"));

        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("no client certificate", ex.Status.Detail);
        Assert.Empty(await NodesAsync());
    }

    [Fact]
    public async Task Connect_HeartbeatBeforeHello_IsRefused()
    {
        using var agent = new RawAgent(Coordinator, await EnrollAsync("node-a"));
        await agent.SendAsync(new Heartbeat { Health = new HealthSample() });

        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("the first message of a session must be Hello, not Heartbeat", ex.Status.Detail);
        Assert.Empty(await NodesAsync());
    }

    [Fact]
    public async Task Connect_HelloWithoutNameOrArch_IsRefusedNamingBoth()
    {
        using var agent = new RawAgent(Coordinator, await EnrollAsync("node-a"));
        var hello = RawAgent.Hello("");
        hello.Facts.Arch = Arch.Unspecified;
        await agent.SendAsync(hello);

        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("invalid Hello: facts.node_name: missing; facts.arch: missing", ex.Status.Detail);
        Assert.Empty(await NodesAsync());
        Assert.Contains(Coordinator.Logs.Messages, m => m.Contains("facts.node_name: missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_HelloTwice_IsRefused()
    {
        using var agent = new RawAgent(Coordinator, await EnrollAsync("node-a"));
        await agent.SendAsync(RawAgent.Hello("node-a"));
        await agent.ReadAsync().DefaultTimeout();
        await agent.SendAsync(RawAgent.Hello("node-b"));

        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        // Once seen under load: Cancelled instead (the whole exception says where it came from next time).
        Assert.True(ex.StatusCode == StatusCode.FailedPrecondition, ex.ToString());
        Assert.Equal("node-a", Assert.Single(await NodesAsync()).Name);
    }

    [Fact]
    public async Task Connect_SecondStreamOfTheSameNode_NewerWinsOlderIsClosed()
    {
        var certificate = await EnrollAsync("node-a");
        using var older = new RawAgent(Coordinator, certificate);
        await older.SendAsync(RawAgent.Hello("node-a"));
        await older.ReadAsync().DefaultTimeout();
        var id = Assert.Single(await NodesAsync()).Id;

        using var newer = new RawAgent(Coordinator, certificate);
        await newer.SendAsync(RawAgent.Hello("node-a"));
        await newer.ReadAsync().DefaultTimeout();

        var ex = await older.ReadUntilFailureAsync().DefaultTimeout();
        Assert.Equal(StatusCode.Aborted, ex.StatusCode);
        Assert.Contains("replaced by a newer session", ex.Status.Detail);

        // The newer stream still works, and the node is connected once.
        await newer.SendAsync(new Heartbeat { Health = new HealthSample() });
        await Eventually.Until(async () => (await NodesAsync()).Single().Health, h => h is not null, "the newer stream's heartbeat is stored");
        Assert.Equal(1, Coordinator.Service<AgentRegistry>().Count);
        Assert.True(Coordinator.Service<AgentRegistry>().IsConnected(id));
    }

    [Fact]
    public async Task Connect_CertificateOfNodeBClaimingNodeA_IsPermissionDeniedAndLogged()
    {
        using var first = new RawAgent(Coordinator, await EnrollAsync("node-a"));
        await first.SendAsync(RawAgent.Hello("node-a"));
        await first.ReadAsync().DefaultTimeout();

        using var impostor = new RawAgent(Coordinator, await EnrollAsync("node-b"));
        await impostor.SendAsync(RawAgent.Hello("node-a"));
        var ex = await impostor.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal("the Hello names node \"node-a\" but the client certificate is node \"node-b\"", ex.Status.Detail);
        Assert.Equal("node-a", Assert.Single(await NodesAsync()).Name);
        Assert.Contains(Coordinator.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Rejected a session", StringComparison.Ordinal)
            && e.Properties["Reason"].ToString().Contains("but the client certificate is node", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_AgentGoesAway_IsDetached()
    {
        var agent = new RawAgent(Coordinator, await EnrollAsync("node-a"));
        await agent.SendAsync(RawAgent.Hello("node-a"));
        await agent.ReadAsync().DefaultTimeout();
        var id = Assert.Single(await NodesAsync()).Id;
        Assert.True(Coordinator.Service<AgentRegistry>().IsConnected(id));

        agent.Dispose();

        await Eventually.Until(() => !Coordinator.Service<AgentRegistry>().IsConnected(id), "the closed stream is detached");
        Assert.Single(await NodesAsync()); // the node stays known
    }
}

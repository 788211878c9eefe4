using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>
/// Labels where they enter the coordinator: a node's Hello and heartbeat facts (hostile input: a bad label
/// is refused, nothing is stored), a join token (refused), a node list selector (refused); and a token's
/// labels reaching the nodes enrolled with it, winning a conflict with the node's own.
/// </summary>
public sealed class NodeLabelTests : CoordinatorTest
{
    public static TheoryData<string, string, string> BadLabels() => new()
    {
        { "Bad Key", "v", "the label key \"Bad Key\" is not valid" },
        { "role", "bad value", "the value \"bad value\" of label \"role\" is not valid" },
        { "", "v", "the label key is empty" },
        { "fleet.io/", "v", "the label key \"fleet.io/\" is not valid" },
        { new string('k', 64), "v", "is not valid" },
        { "role", new string('v', 64), "is not valid" },
        { "role\n2026-11-29 INF forged line", "v", "\\u000a2026-11-29" },
    };

    [Theory]
    [MemberData(nameof(BadLabels))]
    public async Task Hello_WithABadLabel_IsRefusedNamingIt_AndNothingIsStored(string key, string value, string expected)
    {
        var hello = RawAgent.Hello("pi-1");
        hello.Facts.Labels.Add("role-ok", "worker");
        hello.Facts.Labels.Add(key, value);
        using var agent = new RawAgent(Coordinator, await Coordinator.EnrollAsync("pi-1"));

        await agent.SendAsync(hello);
        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("invalid Hello: facts.labels: ", ex.Status.Detail);
        Assert.Contains(expected, ex.Status.Detail);
        Assert.DoesNotContain('\n', ex.Status.Detail);
        Assert.Empty(await NodesAsync());
    }

    [Fact]
    public async Task Hello_WithTooManyLabels_IsRefused()
    {
        var hello = RawAgent.Hello("pi-1");
        for (var i = 0; i <= NodeLabels.MaxCount; i++)
        {
            hello.Facts.Labels.Add($"k{i}", "v");
        }

        using var agent = new RawAgent(Coordinator, await Coordinator.EnrollAsync("pi-1"));
        await agent.SendAsync(hello);
        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains($"facts.labels: {NodeLabels.MaxCount + 1} labels, at most {NodeLabels.MaxCount}", ex.Status.Detail);
        Assert.Empty(await NodesAsync());
    }

    [Fact]
    public async Task HeartbeatFacts_WithABadLabel_EndTheStream_AndTheStoredLabelsStay()
    {
        var hello = RawAgent.Hello("pi-1");
        hello.Facts.Labels.Add("role", "worker");
        using var agent = new RawAgent(Coordinator, await Coordinator.EnrollAsync("pi-1"));
        await agent.SendAsync(hello);
        await agent.ReadAsync().DefaultTimeout();

        var beat = RogueAgent.Heartbeat();
        beat.Facts = hello.Facts.Clone();
        beat.Facts.Labels["role"] = "worker; DROP TABLE nodes";
        await agent.SendAsync(beat);
        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("facts.labels: the value \"worker; DROP TABLE nodes\" of label \"role\" is not valid", ex.Status.Detail);
        Assert.Equal("worker", Assert.Single(await NodesAsync()).Facts.Labels["role"]);
    }

    [Theory]
    [MemberData(nameof(BadLabels))]
    public async Task CreateToken_WithABadLabel_IsRefused_AndNoTokenIsMade(string key, string value, string expected)
    {
        using var channel = Coordinator.ControlChannel();
        var client = new ControlService.ControlServiceClient(channel);
        var request = new CreateTokenRequest { Uses = 1, Ttl = Duration.FromTimeSpan(TimeSpan.FromHours(1)) };
        request.Labels.Add(key, value);

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CreateTokenAsync(request).ResponseAsync.DefaultTimeout());

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("labels: ", ex.Status.Detail);
        Assert.Contains(expected, ex.Status.Detail);
        Assert.Empty((await client.ListTokensAsync(new ListTokensRequest()).ResponseAsync.DefaultTimeout()).Tokens);
    }

    [Fact]
    public async Task CreateToken_WithTooManyLabels_IsRefused()
    {
        using var channel = Coordinator.ControlChannel();
        var request = new CreateTokenRequest { Uses = 1, Ttl = Duration.FromTimeSpan(TimeSpan.FromHours(1)) };
        for (var i = 0; i <= NodeLabels.MaxCount; i++)
        {
            request.Labels.Add($"k{i}", "v");
        }

        var ex = await Assert.ThrowsAsync<RpcException>(() => new ControlService.ControlServiceClient(channel).CreateTokenAsync(request).ResponseAsync.DefaultTimeout());

        Assert.Equal((StatusCode.InvalidArgument, $"labels: {NodeLabels.MaxCount + 1} labels, at most {NodeLabels.MaxCount}"), (ex.StatusCode, ex.Status.Detail));
    }

    [Theory]
    [MemberData(nameof(BadLabels))]
    public async Task ListNodes_WithABadSelector_IsRefused(string key, string value, string expected)
    {
        using var channel = Coordinator.ControlChannel();
        var request = new ListNodesRequest();
        request.Labels.Add(key, value);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new ControlService.ControlServiceClient(channel).ListAllNodesAsync(request).DefaultTimeout());

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(expected, ex.Status.Detail);
    }

    [Fact]
    public async Task TokenLabels_ReachTheNodeEnrolledWithIt_WinAConflict_AndSelectIt()
    {
        using var channel = Coordinator.ControlChannel();
        var client = new ControlService.ControlServiceClient(channel);
        var request = new CreateTokenRequest { Uses = 1, Ttl = Duration.FromTimeSpan(TimeSpan.FromHours(1)) };
        request.Labels.Add("role", "worker");
        request.Labels.Add("fleet.io/rack", "r1");
        var created = await client.CreateTokenAsync(request).ResponseAsync.DefaultTimeout();
        var other = RawAgent.Hello("pi-2");
        using var otherAgent = new RawAgent(Coordinator, await Coordinator.EnrollAsync("pi-2"));
        await otherAgent.SendAsync(other);
        await otherAgent.ReadAsync().DefaultTimeout();

        var hello = RawAgent.Hello("pi-1");
        hello.Facts.Labels.Add("role", "control-plane"); // the node's own word loses to its token's
        hello.Facts.Labels.Add("zone", "a");
        using var agent = new RawAgent(Coordinator, await Coordinator.EnrollAsync("pi-1", created.SecretToken));
        await agent.SendAsync(hello);
        await agent.ReadAsync().DefaultTimeout();

        var node = (await NodesAsync()).Single(n => n.Name == "pi-1");
        Assert.Equal(new Dictionary<string, string> { ["role"] = "worker", ["fleet.io/rack"] = "r1", ["zone"] = "a" }, new Dictionary<string, string>(node.Facts.Labels));

        // Facts sent again in a heartbeat cannot take the token's label away either.
        var beat = RogueAgent.Heartbeat();
        beat.Facts = hello.Facts.Clone();
        beat.Facts.Labels.Remove("zone");
        await agent.SendAsync(beat);
        await Eventually.Until(async () => (await NodesAsync()).Single(n => n.Name == "pi-1").Facts.Labels, l => !l.ContainsKey("zone"), "the heartbeat's facts are stored");
        Assert.Equal("worker", (await NodesAsync()).Single(n => n.Name == "pi-1").Facts.Labels["role"]);

        var selector = new ListNodesRequest();
        selector.Labels.Add("role", "worker");
        Assert.Equal(["pi-1"], (await client.ListAllNodesAsync(selector)).Select(n => n.Name));
        selector.Labels.Add("fleet.io/rack", "r2");
        Assert.Empty(await client.ListAllNodesAsync(selector));
    }
}

using System.Text.Json;
using Fleet.Testing;
using Serilog.Events;

namespace Fleet.IntegrationTests;

/// <summary>A real coordinator, three real agents and fleetctl: the foundation's whole story.</summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private static readonly string[] AllPlugins = ["bridge", "host-local", "loopback", "portmap"];
    private readonly TempDir _dir = new();
    private readonly List<TestAgent> _agents = [];
    private TestCoordinator? _coordinator;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        if (_coordinator is not null)
        {
            await _coordinator.DisposeAsync();
        }

        _dir.Dispose();
    }

    private async Task<TestAgent> StartAgentAsync(string name, params string[] plugins)
    {
        var agent = new TestAgent(name, _coordinator!.AgentUri, _dir.Combine(name), plugins);
        _agents.Add(agent);
        await agent.EnrollAsync(await _coordinator.CreateTokenAsync(uses: 1), _coordinator.CaPin);
        await agent.StartAsync();
        return agent;
    }

    private Task<List<JsonElement>> NodesWhen(Func<List<JsonElement>, bool> done, string what) =>
        Eventually.Until(() => Fleetctl.NodesAsync(_coordinator!.Socket), done, what);

    [Fact]
    public async Task ThreeAgents_RegisterGoStaleGoOfflineAndReconnectAfterACoordinatorRestart()
    {
        var options = TestCoordinator.OptionsIn(_dir.Path, heartbeat: TimeSpan.FromMilliseconds(200));
        _coordinator = await TestCoordinator.StartAsync(options);
        var pi1 = await StartAgentAsync("pi-1", AllPlugins);
        var pi2 = await StartAgentAsync("pi-2", "loopback");
        var pi3 = await StartAgentAsync("pi-3", AllPlugins);

        // Three agents register, with facts from their roots and a first heartbeat.
        var nodes = await NodesWhen(n => n.Count == 3 && n.All(x => x.Str("status") == "online" && x.GetProperty("checks").GetArrayLength() > 0), "three nodes are online with health");
        Assert.Equal(["pi-1", "pi-2", "pi-3"], nodes.Select(n => n.Str("name")));
        Assert.All(nodes, n =>
        {
            Assert.True(n.GetProperty("connected").GetBoolean());
            Assert.Equal("Raspberry Pi 4 Model B Rev 1.4", n.Str("board"));
            Assert.Equal(4, n.GetProperty("cpus").GetInt32());
            Assert.Equal(2009000L * 1024, n.GetProperty("memoryBytes").GetInt64());
        });
        var pi2Checks = nodes[1].GetProperty("checks").EnumerateArray().ToDictionary(c => c.Str("name"), c => c.Str("status"));
        Assert.Equal("failing", pi2Checks["cni-plugins"]);
        Assert.Equal("failing", nodes[1].Str("health"));
        Assert.Equal("ok", nodes[0].GetProperty("checks").EnumerateArray().Single(c => c.Str("name") == "cni-plugins").Str("status"));

        // Heartbeats keep arriving: last seen moves on.
        var firstSeen = nodes.ToDictionary(n => n.Str("name"), n => n.GetProperty("lastSeen").GetDateTimeOffset());
        await NodesWhen(n => n.All(x => x.GetProperty("lastSeen").GetDateTimeOffset() > firstSeen[x.Str("name")]), "every node's last seen advances");

        // One agent stops: stale after 3 missed heartbeats, then offline after 10; the others stay online.
        await pi3.StopAsync();
        nodes = await NodesWhen(n => n.Single(x => x.Str("name") == "pi-3").Str("status") == "stale", "pi-3 is stale");
        Assert.False(nodes.Single(x => x.Str("name") == "pi-3").GetProperty("connected").GetBoolean());
        // Polled, not one snapshot: on a loaded machine a live node's 200 ms heartbeat can be late for a moment.
        nodes = await NodesWhen(
            n => n.All(x => x.Str("status") == (x.Str("name") == "pi-3" ? "offline" : "online")),
            "pi-3 is offline while pi-1 and pi-2 are online");

        // The coordinator restarts on the same data folder: nodes are remembered, agents reconnect by themselves.
        var ids = nodes.ToDictionary(n => n.Str("name"), n => n.Str("id"));
        await _coordinator.DisposeAsync();
        _coordinator = null;
        var restarted = await TestCoordinator.StartAsync(options);
        _coordinator = restarted;
        var afterRestart = await Fleetctl.NodesAsync(restarted.Socket);
        Assert.Equal(["pi-1", "pi-2", "pi-3"], afterRestart.Select(n => n.Str("name")));

        nodes = await NodesWhen(
            n => n.Where(x => x.Str("name") != "pi-3").All(x => x.GetProperty("connected").GetBoolean() && x.Str("status") == "online"),
            "pi-1 and pi-2 reconnect to the restarted coordinator");
        Assert.Equal(ids, nodes.ToDictionary(n => n.Str("name"), n => n.Str("id"))); // same identities, no duplicates
        Assert.Equal("offline", nodes.Single(x => x.Str("name") == "pi-3").Str("status"));

        // The stopped agent comes back as the same node.
        await pi3.StartAsync();
        nodes = await NodesWhen(n => n.All(x => x.Str("status") == "online" && x.GetProperty("connected").GetBoolean()), "all three are online again");
        Assert.Equal(ids["pi-3"], nodes.Single(x => x.Str("name") == "pi-3").Str("id"));
        Assert.Equal(pi3.NodeId, ids["pi-3"]);

        // The agents logged their lost session as one warning line each, without a stack trace.
        var failures = pi1.Logs.Events.Where(e => e.MessageTemplate.Text.StartsWith("Session with", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(failures);
        Assert.All(failures, e => Assert.Null(e.Exception));
        Assert.Empty(restarted.Logs.AtLeast(LogEventLevel.Error));
        Assert.Empty(pi2.Logs.AtLeast(LogEventLevel.Error));
    }

    [Fact]
    public async Task Fleetctl_FiltersAndShowsOneNode()
    {
        _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        await StartAgentAsync("pi-1", AllPlugins);
        await StartAgentAsync("pi-2", AllPlugins);
        await NodesWhen(n => n.Count == 2 && n.All(x => x.GetProperty("checks").GetArrayLength() > 0), "both nodes have reported health");

        var amd64 = await Fleetctl.RunAsync("nodes", "list", "--arch", "amd64", "-o", "json", "--socket", _coordinator.Socket);
        Assert.Equal(2, JsonDocument.Parse(amd64.Stdout).RootElement.GetArrayLength()); // this machine is x86-64
        var arm = await Fleetctl.RunAsync("nodes", "list", "--arch", "arm", "-o", "json", "--socket", _coordinator.Socket);
        Assert.Equal(0, JsonDocument.Parse(arm.Stdout).RootElement.GetArrayLength());
        var offline = await Fleetctl.RunAsync("nodes", "list", "--status", "offline", "-o", "json", "--socket", _coordinator.Socket);
        Assert.Equal(0, JsonDocument.Parse(offline.Stdout).RootElement.GetArrayLength());

        var table = await Fleetctl.RunAsync("nodes", "list", "--socket", _coordinator.Socket);
        Assert.Equal(0, table.ExitCode);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "ARCH", "BOARD"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3]);
        Assert.Contains("LAST SEEN", lines[0]);
        Assert.Equal(["NAME", "ARCH", "BOARD", "STATUS", "KUBELET", "AGENT", "HEALTH", "LAST", "SEEN"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var agentVersion = JsonDocument.Parse(amd64.Stdout).RootElement.EnumerateArray().First().GetProperty("agentVersion").GetString();
        Assert.False(string.IsNullOrEmpty(agentVersion));
        Assert.Contains($" {agentVersion} ", lines[1]); // the agent version, in the default columns
        Assert.StartsWith("pi-1", lines[1]);
        Assert.Contains("amd64", lines[1]);
        Assert.Contains("online", lines[1]);

        var get = await Fleetctl.RunAsync("nodes", "get", "pi-2", "--socket", _coordinator.Socket);
        Assert.Equal(0, get.ExitCode);
        foreach (var expected in new[] { "Raspberry Pi 4 Model B Rev 1.4", "Debian GNU/Linux 12 (bookworm)", "memory", "cni-plugins", "no systemctl at ", "load 0.50 0.40 0.30 on 4 CPUs" })
        {
            Assert.Contains(expected, get.Stdout);
        }

        var missing = await Fleetctl.RunAsync("nodes", "get", "nope", "--socket", _coordinator.Socket);
        Assert.Equal((1, "fleetctl: no node named \"nope\"\n"), (missing.ExitCode, missing.Stderr));
        var badArch = await Fleetctl.RunAsync("nodes", "list", "--arch", "x86", "--socket", _coordinator.Socket);
        Assert.Equal(2, badArch.ExitCode);
        Assert.Contains("\"x86\" is not an architecture", badArch.Stderr);
    }

    [Fact]
    public async Task Fleetctl_WithoutACoordinator_SaysWhatItTried()
    {
        var socket = _dir.Combine("missing.sock");

        var result = await Fleetctl.RunAsync("nodes", "list", "--socket", socket);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"fleetctl: cannot reach the coordinator at {socket}: no such file (is fleet-coordinator running? --socket)\n", result.Stderr);
    }

    [Fact]
    public async Task Fleetctl_SocketNobodyListensOn_SaysConnectionRefused()
    {
        var socket = _dir.Combine("stale.sock");
        using var bound = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        bound.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socket)); // the file exists, nothing listens

        var result = await Fleetctl.RunAsync("nodes", "list", "--socket", socket);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("connection refused", result.Stderr);
    }
}

using System.Text;
using System.Text.Json;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Hosting;
using Fleet.Coordinator.Agents;
using Fleet.Security;
using Fleet.Testing;
using Microsoft.Extensions.Time.Testing;
using Serilog.Events;

namespace Fleet.IntegrationTests;

/// <summary>Real agents enrolling with a real coordinator over TLS on loopback, driven with fleetctl.</summary>
public sealed class EnrollmentTests : IAsyncLifetime
{
    private static readonly string[] AllPlugins = ["bridge", "host-local", "loopback", "portmap"];
    private readonly TempDir _dir = new();
    private readonly List<TestAgent> _agents = [];
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    private TestAgent NewAgent(string name)
    {
        var agent = new TestAgent(name, _coordinator.AgentUri, _dir.Combine(name), AllPlugins);
        _agents.Add(agent);
        return agent;
    }

    /// <summary>`fleetctl token create`, parsed: the token and the CA pin.</summary>
    private async Task<(string Token, string Pin)> CreateTokenAsync(params string[] extra)
    {
        var result = await Fleetctl.RunAsync(["token", "create", "--socket", _coordinator.Socket, .. extra]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.Stdout.Split('\n');
        string Field(string name) => lines.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return (Field("token"), Field("ca-pin"));
    }

    private bool Connected(string name) =>
        _coordinator.Service<AgentRegistry>().Count > 0 && Fleetctl.NodesAsync(_coordinator.Socket).Result.Any(n => n.Str("name") == name && n.GetProperty("connected").GetBoolean());

    [Fact]
    public async Task Join_WithATokenFromFleetctl_AgentRunsOverMtls_AndTheTokenIsInNoLogNorTheDatabase()
    {
        var (token, pin) = await CreateTokenAsync("--uses", "1", "--ttl", "10m", "--label", "rack=r1");
        Assert.Equal(_coordinator.CaPin, pin);
        var agent = NewAgent("pi-1");

        await agent.EnrollAsync(token, pin);
        await agent.StartAsync();
        await Eventually.Until(() => Connected("pi-1"), "pi-1 is connected");

        // The key stayed on the node, owner-only; the node id in its certificate is the one the coordinator lists.
        var state = agent.StateDir;
        Assert.Equal(PemFiles.PrivateMode, File.GetUnixFileMode(Path.Join(state, NodeCredentials.KeyFile)));
        Assert.Equal(agent.NodeId, (await Fleetctl.NodesAsync(_coordinator.Socket)).Single().Str("id"));
        var checks = await Eventually.Until(
            async () => (await Fleetctl.NodesAsync(_coordinator.Socket)).Single().GetProperty("checks").EnumerateArray().ToList(),
            c => c.Count > 0,
            "pi-1 reports its health");
        var certificateCheck = checks.Single(c => c.Str("name") == "certificate");
        Assert.Equal("ok", certificateCheck.Str("status"));
        Assert.Contains("node certificate valid until", certificateCheck.Str("reason"));

        var list = await Fleetctl.RunAsync("token", "list", "-o", "json", "--socket", _coordinator.Socket);
        var listed = JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Single();
        Assert.Equal(("used", 1, "r1"), (listed.Str("status"), listed.GetProperty("uses").GetInt32(), listed.GetProperty("labels").GetProperty("rack").GetString()));

        // The secret is nowhere: not in a log line or property of either side, not in -o json, not in any file of the database.
        var secret = token[(token.IndexOf('.', StringComparison.Ordinal) + 1)..];
        await agent.StopAsync();
        var logs = _coordinator.Logs.Events.Concat(agent.Logs.Events)
            .SelectMany(e => new[] { e.RenderMessage(), e.Exception?.ToString() ?? "" }.Concat(e.Properties.Values.Select(v => v.ToString())))
            .ToList();
        Assert.Contains(logs, l => l.Contains(token[..12], StringComparison.Ordinal)); // the id is logged: this is the check looking in the right place
        Assert.DoesNotContain(logs, l => l.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(secret, list.Stdout);
        foreach (var file in Directory.GetFiles(_coordinator.Options.DataDir))
        {
            var bytes = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file));
            Assert.DoesNotContain(secret, bytes);
            Assert.DoesNotContain(Convert.ToHexString(Encoding.ASCII.GetBytes(secret)), bytes, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains(Directory.GetFiles(_coordinator.Options.DataDir), f => f.EndsWith("fleet.db", StringComparison.Ordinal));
        Assert.Empty(_coordinator.Logs.AtLeast(LogEventLevel.Error));
    }

    [Fact]
    public async Task Enroll_WrongCaPin_AgentRefusesBeforeSendingTheToken()
    {
        var (token, _) = await CreateTokenAsync();
        var wrongPin = CaPin.Prefix + new string('a', 64);
        var agent = NewAgent("pi-1");

        var ex = await Assert.ThrowsAsync<EnrollmentException>(() => agent.EnrollAsync(token, wrongPin));

        Assert.Contains($"not the pinned {wrongPin}: refusing to send the token", ex.Message);
        Assert.False(File.Exists(Path.Join(agent.StateDir, NodeCredentials.KeyFile)));
        // The coordinator never saw an enrollment attempt: the token is unused and nothing was logged about it.
        var list = await Fleetctl.RunAsync("token", "list", "-o", "json", "--socket", _coordinator.Socket);
        Assert.Equal(0, JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Single().GetProperty("uses").GetInt32());
        Assert.DoesNotContain(_coordinator.Logs.Events, e => e.MessageTemplate.Text.Contains("nroll", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Enroll_BeforeTheCoordinatorListens_RetriesUntilItDoes_AndSpendsOneTokenUse()
    {
        var (token, pin) = await CreateTokenAsync("--uses", "1");
        var options = _coordinator.Options;
        var port = options.Listen.Port;
        await _coordinator.DisposeAsync();
        var agent = NewAgent("pi-1");

        var enroll = agent.EnrollAsync(token, pin);
        await Eventually.Until(() => enroll.IsCompleted || agent.Logs.Events.Any(e => e.MessageTemplate.Text.StartsWith("Could not connect to", StringComparison.Ordinal)), "the agent retries the connection");
        Assert.False(enroll.IsCompleted, enroll.Exception?.ToString());
        _coordinator = await TestCoordinator.StartAsync(options);
        Assert.Equal(port, _coordinator.Options.Listen.Port); // the same address, or the agent could never reach it
        await enroll;

        var listed = JsonDocument.Parse((await Fleetctl.RunAsync("token", "list", "-o", "json", "--socket", _coordinator.Socket)).Stdout).RootElement.EnumerateArray().Single();
        Assert.Equal(("used", 1), (listed.Str("status"), listed.GetProperty("uses").GetInt32()));
        Assert.True(File.Exists(Path.Join(agent.StateDir, NodeCredentials.CertificateFile)));
    }

    [Fact]
    public async Task Enroll_ACoordinatorThatAnswers_IsNeverAskedTwice()
    {
        var agent = NewAgent("pi-1");

        var ex = await Assert.ThrowsAsync<EnrollmentException>(() => agent.EnrollAsync("0123456789ab." + new string('0', 48), _coordinator.CaPin));

        Assert.StartsWith("the coordinator refused the enrollment", ex.Message);
        Assert.DoesNotContain(agent.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Could not connect to", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Enroll_PlainHttpCoordinator_IsRefused()
    {
        var agent = NewAgent("pi-1");
        agent.Options.Coordinator = new Uri($"http://127.0.0.1:{_coordinator.Options.Listen.Port}");

        var ex = await Assert.ThrowsAsync<EnrollmentException>(() => agent.EnrollAsync("x", _coordinator.CaPin));

        Assert.Contains("must be an https:// URL", ex.Message);
    }

    [Fact]
    public async Task RemovedNode_IsDisconnected_AndItsAgentStopsForGood()
    {
        var (token, pin) = await CreateTokenAsync("--uses", "2");
        var pi1 = NewAgent("pi-1");
        var pi2 = NewAgent("pi-2");
        await pi1.EnrollAsync(token, pin);
        await pi2.EnrollAsync(token, pin);
        await pi1.StartAsync();
        await pi2.StartAsync();
        await Eventually.Until(() => Connected("pi-1") && Connected("pi-2"), "both nodes are connected");

        var removed = await Fleetctl.RunAsync("nodes", "remove", "pi-1", "--socket", _coordinator.Socket);

        Assert.Equal((0, "node pi-1 removed; 1 certificate(s) revoked\n"), (removed.ExitCode, removed.Stdout));
        await Eventually.Until(() => pi1.ExitCode == AgentExit.IdentityRefusedCode, "pi-1's agent stops with the refusal's exit code");
        Assert.Contains(pi1.Logs.Events, e => e.MessageTemplate.Text.Contains("refuses this node's certificate for good", StringComparison.Ordinal) && e.RenderMessage().Contains("not-enrolled", StringComparison.Ordinal));
        Assert.DoesNotContain(pi1.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Session with", StringComparison.Ordinal)); // no retry
        var nodes = await Fleetctl.NodesAsync(_coordinator.Socket);
        Assert.Equal(["pi-2"], nodes.Select(n => n.Str("name")));
        Assert.True(Connected("pi-2"));

        var again = await Fleetctl.RunAsync("nodes", "remove", "pi-1", "--socket", _coordinator.Socket);
        Assert.Equal((1, "fleetctl: no enrolled node named \"pi-1\"\n"), (again.ExitCode, again.Stderr));
    }

    [Fact]
    public async Task Renewal_AtTwoThirdsOfTheLifetime_WithAFakedClock_NewKeyNewCertificateSameNode()
    {
        await _coordinator.DisposeAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = TestCoordinator.OptionsIn(_dir.Combine("faked"));
        _coordinator = await TestCoordinator.StartAsync(options, time);
        var agent = NewAgent("pi-1");
        agent.Time = time;
        await agent.EnrollAsync(await _coordinator.CreateTokenAsync(), _coordinator.CaPin);
        var keyPath = Path.Join(agent.StateDir, NodeCredentials.KeyFile);
        var first = PemFiles.ReadCertificate(Path.Join(agent.StateDir, NodeCredentials.CertificateFile));
        var firstKey = await File.ReadAllTextAsync(keyPath);
        await agent.StartAsync();
        await Eventually.Until(() => _coordinator.Service<AgentRegistry>().Count == 1, "pi-1 is connected");

        // 19 of 30 days: not yet due.
        time.Advance(TimeSpan.FromDays(19));
        await Task.Delay(500);
        Assert.Equal(first.SerialNumber, PemFiles.ReadCertificate(Path.Join(agent.StateDir, NodeCredentials.CertificateFile)).SerialNumber);

        // 21 of 30 days: past two thirds, renewed over the authenticated channel.
        time.Advance(TimeSpan.FromDays(2));
        var renewed = await Eventually.Until(
            () => Task.FromResult(PemFiles.ReadCertificate(Path.Join(agent.StateDir, NodeCredentials.CertificateFile))),
            c => c.SerialNumber != first.SerialNumber,
            "the certificate is renewed");
        Assert.NotEqual(firstKey, await File.ReadAllTextAsync(keyPath));
        Assert.Equal(PemFiles.PrivateMode, File.GetUnixFileMode(keyPath));
        Assert.NotEqual(first.PublicKey.ExportSubjectPublicKeyInfo(), renewed.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(first.Subject, renewed.Subject); // same node name and id
        Assert.True(renewed.NotAfter > first.NotAfter.AddDays(20));
        Assert.Contains(_coordinator.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Renewed the certificate of node", StringComparison.Ordinal));

        // The renewal revoked the first certificate. Without a restart, the agent's next session goes
        // over a new connection that presents the renewed certificate (not the pooled one made with the first).
        var nodeId = agent.NodeId;
        Assert.NotNull((await _coordinator.Service<Fleet.Coordinator.Enrollment.IEnrollmentStore>().FindCertificateAsync(first.SerialNumber.ToLowerInvariant(), CancellationToken.None))!.RevokedAt);
        var sessions = agent.Logs.Messages.Count(m => m.StartsWith("Connected to the coordinator", StringComparison.Ordinal));
        _coordinator.Service<AgentRegistry>().Find(nodeId)!.Close(Grpc.Core.StatusCode.Unavailable, "the test ends this session");
        await Eventually.Until(
            () =>
            {
                time.Advance(TimeSpan.FromSeconds(1)); // the agent's reconnect backoff runs on the faked clock
                return agent.Logs.Messages.Count(m => m.StartsWith("Connected to the coordinator", StringComparison.Ordinal)) > sessions;
            },
            "pi-1 starts a new session");
        Assert.DoesNotContain(_coordinator.Logs.Messages, m => m.Contains("revoked", StringComparison.Ordinal));

        // After a restart the agent connects with the renewed certificate, as the same node.
        await agent.StopAsync();
        await Eventually.Until(() => _coordinator.Service<AgentRegistry>().Count == 0, "pi-1 is disconnected");
        await agent.StartAsync();
        await Eventually.Until(() => _coordinator.Service<AgentRegistry>().IsConnected(nodeId), "pi-1 reconnects with its renewed certificate");
        Assert.Empty(agent.Logs.AtLeast(LogEventLevel.Error));
    }

    [Fact]
    public async Task Fleetctl_TokenRevoke_ThenEnrollIsRefused()
    {
        var (token, pin) = await CreateTokenAsync();
        var revoke = await Fleetctl.RunAsync("token", "revoke", token[..12], "--socket", _coordinator.Socket);
        Assert.Equal((0, $"join token {token[..12]} revoked\n"), (revoke.ExitCode, revoke.Stdout));

        var ex = await Assert.ThrowsAsync<EnrollmentException>(() => NewAgent("pi-1").EnrollAsync(token, pin));

        Assert.Contains($"join token {token[..12]} is revoked", ex.Message);
        var table = await Fleetctl.RunAsync("token", "list", "--socket", _coordinator.Socket);
        Assert.Contains("revoked", table.Stdout.Split('\n')[1]);
    }

    [Fact]
    public async Task Fleetctl_TokenCreate_BadArguments_OneLineEach()
    {
        var ttl = await Fleetctl.RunAsync("token", "create", "--ttl", "soon", "--socket", _coordinator.Socket);
        Assert.Equal((2, "fleetctl: --ttl: \"soon\" is not a duration such as 90s, 10m, 1h30m or 1d\n"), (ttl.ExitCode, ttl.Stderr));
        var unitless = await Fleetctl.RunAsync("token", "create", "--ttl", "5", "--socket", _coordinator.Socket);
        Assert.Equal((2, "fleetctl: --ttl: \"5\" has no unit: write 5s, 5m, 5h or 5d\n"), (unitless.ExitCode, unitless.Stderr));
        var day = await Fleetctl.RunAsync("token", "create", "--ttl", "1d", "--socket", _coordinator.Socket);
        Assert.True(day.ExitCode == 0, day.Stderr);
        var uses = await Fleetctl.RunAsync("token", "create", "--uses", "0", "--socket", _coordinator.Socket);
        Assert.Equal((1, "fleetctl: uses: must be at least 1\n"), (uses.ExitCode, uses.Stderr));
        var label = await Fleetctl.RunAsync("token", "create", "--label", "nolabel", "--socket", _coordinator.Socket);
        Assert.Equal((2, "fleetctl: --label: \"nolabel\" is not key=value\n"), (label.ExitCode, label.Stderr));
    }

    [Fact]
    public async Task Fleetctl_TokenRevoke_AWholeToken_RevokesItsId_AndNeverPrintsTheSecret()
    {
        var (token, _) = await CreateTokenAsync();
        var secret = token[(token.IndexOf('.', StringComparison.Ordinal) + 1)..];

        var revoked = await Fleetctl.RunAsync("token", "revoke", token, "--socket", _coordinator.Socket);
        var unknown = await Fleetctl.RunAsync("token", "revoke", "000000000000.supersecretvalue", "--socket", _coordinator.Socket);

        Assert.Equal((0, $"join token {token[..12]} revoked\n"), (revoked.ExitCode, revoked.Stdout));
        Assert.DoesNotContain(secret, revoked.Stdout + revoked.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("fleetctl: ", unknown.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("supersecretvalue", unknown.Stdout + unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fleetctl_TokenList_Json_IsAnArrayWithRfc3339Times_AndWideAddsColumns()
    {
        await CreateTokenAsync("--label", "rack=r1");

        var json = await Fleetctl.RunAsync("token", "list", "-o", "JSON", "--socket", _coordinator.Socket);
        var wide = await Fleetctl.RunAsync("token", "list", "-o", "Wide", "--socket", _coordinator.Socket);
        var table = await Fleetctl.RunAsync("token", "list", "--socket", _coordinator.Socket);

        var token = Assert.Single(JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray());
        Assert.Equal("valid", token.Str("status"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", token.Str("createdAt"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", token.Str("expiresAt"));
        Assert.Matches(@"^ID\s+STATUS\s+USES\s+EXPIRES\s+LABELS$", table.Stdout.Split('\n')[0]);
        Assert.Contains("EXPIRES AT", wide.Stdout.Split('\n')[0], StringComparison.Ordinal);
        Assert.Contains("CREATED", wide.Stdout.Split('\n')[0], StringComparison.Ordinal);
    }
}

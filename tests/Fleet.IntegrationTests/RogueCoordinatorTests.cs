using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Agent.Enrollment;
using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Security;
using Fleet.Security;
using Fleet.Testing;
using Fleet.Testing.Hostile;
using Fleet.V1;

namespace Fleet.IntegrationTests;

/// <summary>
/// A rogue coordinator: a real HTTP/2 gRPC server with TLS on 127.0.0.1 presenting a real enrolled
/// node's certificate and key, named `localhost` (as a coordinator before this rule let a node be
/// named). Real agents pointed at it refuse the handshake, send nothing, and say why.
/// </summary>
public sealed class RogueCoordinatorTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly List<TestAgent> _agents = [];
    private TestCoordinator _coordinator = null!;
    private X509Certificate2 _stolen = null!;
    private RogueServer _rogue = null!;

    private Uri RogueUri => new($"https://localhost:{_rogue.Port}");

    public async Task InitializeAsync()
    {
        _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        _stolen = await EnrollLegacyNodeAsync("localhost");
        _rogue = await RogueServer.StartAsync(_stolen, _coordinator.CaCertificate);
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await _rogue.DisposeAsync();
        await _coordinator.DisposeAsync();
        _stolen.Dispose();
        _dir.Dispose();
    }

    /// <summary>A node enrolled the way an earlier coordinator did it, before names were checked against its own: same CA, same store rows.</summary>
    private async Task<X509Certificate2> EnrollLegacyNodeAsync(string name)
    {
        using var request = SigningRequest.Create(name);
        var csr = CertificateRequest.LoadSigningRequest(request.Der, HashAlgorithmName.SHA256);
        var nodeId = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        using var issued = _coordinator.Service<CertificateAuthority>().IssueClientCertificate(csr.PublicKey, ClientSubject.ForNode(name, nodeId), now, TimeSpan.FromDays(30));
        await _coordinator.Service<IEnrollmentStore>().AddEnrollmentAsync(
            new EnrollmentRecord(nodeId, name, true, "0123456789ab", now),
            IssuedCertificate.Of(issued, ClientSubject.NodeKind, name, nodeId),
            CancellationToken.None);
        return request.Join(issued.RawData);
    }

    private async Task<TestAgent> EnrolledAgentAsync(string name)
    {
        var agent = new TestAgent(name, _coordinator.AgentUri, _dir.Combine(name));
        _agents.Add(agent);
        await agent.EnrollAsync(await _coordinator.CreateTokenAsync(uses: 1), _coordinator.CaPin);
        return agent;
    }

    [Fact]
    public async Task Agent_PointedAtARogueWithAnEnrolledNodesCertificateNamedLocalhost_RefusesTheHandshake_SendsNothing_LogsWhy()
    {
        // The stolen certificate is a good client certificate still: node certificates of earlier versions keep working as clients.
        using (var channel = TestTls.Channel(_coordinator.AgentUri, _coordinator.CaCertificate, _stolen))
        {
            await new AgentService.AgentServiceClient(channel).GetCaCertificateAsync(new GetCaCertificateRequest()).ResponseAsync.DefaultTimeout();
        }

        var agent = await EnrolledAgentAsync("pi-1");
        agent.Options.Coordinator = RogueUri;
        await agent.StartAsync();

        await Eventually.Until(() => agent.Logs.Messages.Any(m => m.StartsWith("Session with", StringComparison.Ordinal)), "the agent gave up a session attempt");
        var refusal = agent.Logs.Messages.First(m => m.StartsWith("Refused the TLS certificate of", StringComparison.Ordinal));
        Assert.Equal(
            "Refused the TLS certificate of \"localhost\": \"it is not a server (coordinator) certificate (its extended key usage lacks serverAuth)\"; nothing was sent (not the coordinator, or someone in between)",
            refusal);
        await agent.StopAsync();
        Assert.True(_rogue.Connections > 0, "the agent did dial the rogue coordinator");
        Assert.Equal(0, _rogue.Requests);
    }

    [Fact]
    public async Task Enroll_AgainstARogueServingTheRealCaAndANodeCertificate_SendsNoToken()
    {
        var agent = new TestAgent("pi-2", RogueUri, _dir.Combine("pi-2"));
        _agents.Add(agent);
        var token = await _coordinator.CreateTokenAsync(uses: 1);

        // The rogue answers GetCaCertificate with the real CA (it is public), so the pin matches.
        var ex = await Assert.ThrowsAsync<EnrollmentException>(() => agent.EnrollAsync(token, _coordinator.CaPin));

        Assert.Equal(
            $"the coordinator at {RogueUri} presents a TLS certificate that is not its own (it is not a server (coordinator) certificate (its extended key usage lacks serverAuth)): refusing to send the token",
            ex.Message);
        Assert.Empty(_rogue.Tokens);
        Assert.Equal(1, _rogue.Requests); // GetCaCertificate, which carries nothing
        Assert.False(File.Exists(Path.Join(agent.StateDir, NodeCredentials.CertificateFile)));
    }
}

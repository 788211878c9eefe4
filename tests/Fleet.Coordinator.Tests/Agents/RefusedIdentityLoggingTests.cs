using Fleet.Coordinator.Agents;
using Fleet.Testing;
using Fleet.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>
/// A removed node's agent that keeps connecting: every attempt is refused with the definitive
/// trailers, and the coordinator's log gets one line per node per interval, not one per attempt.
/// </summary>
public sealed class RefusedIdentityLoggingTests : CoordinatorTest
{
    // Only the refusal log's clock is faked: the certificates are checked against the real one.
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton(sp => new RefusedIdentityLog(sp.GetRequiredService<RefusedIdentityLogOptions>(), _time));

    [Fact]
    public async Task Connect_RemovedNode_TenAttempts_OneLogLinePerInterval_EachRefusalCarriesTheTrailers()
    {
        var certificate = await Coordinator.EnrollAsync("pi-1");
        using (var control = Coordinator.ControlChannel())
        {
            await new ControlService.ControlServiceClient(control).RemoveNodeAsync(new RemoveNodeRequest { Name = "pi-1" }).ResponseAsync.DefaultTimeout();
        }

        for (var i = 0; i < 10; i++)
        {
            var ex = await AttemptAsync(certificate);
            Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
            Assert.Equal(IdentityRefusal.Revoked, ex.Trailers.GetValue(IdentityRefusal.ReasonKey));
            Assert.Equal(certificate.SerialNumber.ToLowerInvariant(), ex.Trailers.GetValue(IdentityRefusal.SerialKey));
            Assert.Equal(IdentityRefusal.Revoked, IdentityRefusal.DefinitiveReason(ex, certificate.SerialNumber));
        }

        Assert.Single(RefusalLines());

        _time.Advance(Coordinator.Options.RefusedIdentityLog.Interval);
        await AttemptAsync(certificate);
        await AttemptAsync(certificate);

        var lines = RefusalLines();
        Assert.Equal(2, lines.Count);
        Assert.Equal("9", lines[1].Properties["Suppressed"].ToString());
    }

    [Fact]
    public async Task Connect_ANodeThatIsNotRemoved_IsNotHeldBackByAnotherNodesRefusals()
    {
        var removed = await Coordinator.EnrollAsync("pi-1");
        using (var control = Coordinator.ControlChannel())
        {
            await new ControlService.ControlServiceClient(control).RemoveNodeAsync(new RemoveNodeRequest { Name = "pi-1" }).ResponseAsync.DefaultTimeout();
        }

        await AttemptAsync(removed);
        await AttemptAsync(removed);
        var second = await Coordinator.EnrollAsync("pi-2");
        using (var control = Coordinator.ControlChannel())
        {
            await new ControlService.ControlServiceClient(control).RemoveNodeAsync(new RemoveNodeRequest { Name = "pi-2" }).ResponseAsync.DefaultTimeout();
        }

        await AttemptAsync(second);

        Assert.Equal(2, RefusalLines().Count); // one per node
    }

    [Fact]
    public async Task Connect_OpenStreamOfANodeBeingRemoved_EndsWithTheNotEnrolledTrailer()
    {
        var certificate = await Coordinator.EnrollAsync("pi-1");
        using var agent = new RawAgent(Coordinator, certificate);
        await agent.SendAsync(RawAgent.Hello("pi-1"));
        await agent.ReadAsync().DefaultTimeout();
        using (var control = Coordinator.ControlChannel())
        {
            await new ControlService.ControlServiceClient(control).RemoveNodeAsync(new RemoveNodeRequest { Name = "pi-1" }).ResponseAsync.DefaultTimeout();
        }

        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(IdentityRefusal.NotEnrolled, IdentityRefusal.DefinitiveReason(ex, certificate.SerialNumber));
    }

    [Fact]
    public async Task Connect_ACertificateRevokedByTheNodesOwnRenewal_IsNotDefinitiveForTheRenewedCertificate()
    {
        var old = await Coordinator.EnrollAsync("pi-1");
        using var request = Fleet.Security.SigningRequest.Create("pi-1");
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate, old);
        var response = await new AgentService.AgentServiceClient(channel)
            .RenewCertificateAsync(new RenewCertificateRequest { Csr = Google.Protobuf.ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout();
        using var renewed = request.Join(response.Certificate.ToByteArray());

        var ex = await AttemptAsync(old); // a session still on the old connection, as after a renewal race

        Assert.Equal(IdentityRefusal.Revoked, ex.Trailers.GetValue(IdentityRefusal.ReasonKey));
        Assert.Null(IdentityRefusal.DefinitiveReason(ex, renewed.SerialNumber)); // the agent retries with its new certificate
        using var again = new RawAgent(Coordinator, renewed);
        await again.SendAsync(RawAgent.Hello("pi-1"));
        await again.ReadAsync().DefaultTimeout();
    }

    [Fact]
    public async Task Connect_WithoutAClientCertificate_IsRefusedWithoutTheDefinitiveTrailer()
    {
        using var agent = new RawAgent(Coordinator, null);
        await agent.SendAsync(RawAgent.Hello("pi-1"));

        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Null(ex.Trailers.GetValue(IdentityRefusal.ReasonKey));
        Assert.Null(IdentityRefusal.DefinitiveReason(ex, ""));
    }

    private async Task<RpcException> AttemptAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        using var agent = new RawAgent(Coordinator, certificate);
        await agent.SendAsync(RawAgent.Hello("pi-1"));
        return await agent.ReadUntilFailureAsync().DefaultTimeout();
    }

    private List<Serilog.Events.LogEvent> RefusalLines() =>
        Coordinator.Logs.Events.Where(e => e.MessageTemplate.Text.StartsWith("Refused the client certificate", StringComparison.Ordinal)).ToList();
}

using System.Security.Cryptography.X509Certificates;
using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Security;
using Fleet.Security;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>Who may connect: only certificates of this coordinator's CA, issued to an enrolled node, not revoked.</summary>
public sealed class CertificateIdentityTests : CoordinatorTest
{
    [Fact]
    public async Task Connect_CertificateFromAForeignCa_IsRefusedAtTheTlsHandshake()
    {
        // Another Fleet coordinator's CA issues a certificate that looks right in every field.
        using var foreign = CertificateAuthority.LoadOrCreate(Dir.Combine("foreign"), DateTimeOffset.UtcNow);
        using var request = SigningRequest.Create("pi-1");
        var csr = CertificateRequest.LoadSigningRequest(request.Der, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var issued = foreign.IssueClientCertificate(csr.PublicKey, ClientSubject.ForNode("pi-1", Guid.NewGuid().ToString("N")), DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        using var certificate = request.Join(issued.RawData);

        // GetCaCertificate needs no identity at all: when it fails, the TLS handshake refused the certificate.
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate, certificate);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new AgentService.AgentServiceClient(channel)
            .GetCaCertificateAsync(new GetCaCertificateRequest()).ResponseAsync.DefaultTimeout());
        Hosting.TlsRefusal.AssertRefusedByTls(ex);

        // The same call with this coordinator's own node certificate goes through.
        using var own = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate, await Coordinator.EnrollAsync("pi-1"));
        await new AgentService.AgentServiceClient(own).GetCaCertificateAsync(new GetCaCertificateRequest()).ResponseAsync.DefaultTimeout();
        Assert.Empty(await NodesAsync());
    }

    [Fact]
    public async Task AgentPort_TheCoordinatorsOwnServerCertificate_AsAClientCertificate_IsRefusedAtTheTlsHandshake()
    {
        // The very certificate the coordinator serves with (same CA, same names): serverAuth only.
        using var server = Coordinator.Service<CertificateAuthority>().IssueServerCertificate(Coordinator.Service<CoordinatorTlsNames>().Names, DateTimeOffset.UtcNow);

        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate, server);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new AgentService.AgentServiceClient(channel)
            .GetCaCertificateAsync(new GetCaCertificateRequest()).ResponseAsync.DefaultTimeout());

        Hosting.TlsRefusal.AssertRefusedByTls(ex);
        Assert.Empty(await NodesAsync());
    }

    [Fact]
    public async Task Connect_RemovedNode_OpenStreamClosedAndNextConnectRefused()
    {
        var certificate = await Coordinator.EnrollAsync("pi-1");
        using var first = new RawAgent(Coordinator, certificate);
        await first.SendAsync(RawAgent.Hello("pi-1"));
        await first.ReadAsync().DefaultTimeout();

        using (var control = Coordinator.ControlChannel())
        {
            var removed = await new ControlService.ControlServiceClient(control).RemoveNodeAsync(new RemoveNodeRequest { Name = "pi-1" }).ResponseAsync.DefaultTimeout();
            Assert.Equal(1, removed.CertificatesRevoked);
        }

        var closed = await first.ReadUntilFailureAsync().DefaultTimeout();
        Assert.Equal((StatusCode.PermissionDenied, "the node was removed (fleetctl nodes remove): its certificate is revoked"), (closed.StatusCode, closed.Status.Detail));
        using var again = new RawAgent(Coordinator, certificate);
        await again.SendAsync(RawAgent.Hello("pi-1"));
        var ex = await again.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("revoked", ex.Status.Detail);
        Assert.Empty(await NodesAsync());
        Assert.Contains(Coordinator.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Refused the client certificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RenewCertificate_WithTheNodeCertificate_SignsTheNewKeyForTheSameNode()
    {
        var certificate = await Coordinator.EnrollAsync("pi-1");
        using var request = SigningRequest.Create("pi-1");
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate, certificate);

        var response = await new AgentService.AgentServiceClient(channel)
            .RenewCertificateAsync(new RenewCertificateRequest { Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout();

        using var renewed = request.Join(response.Certificate.ToByteArray());
        Assert.NotEqual(certificate.SerialNumber, renewed.SerialNumber);
        Assert.Equal(ClientSubject.Of(certificate), ClientSubject.Of(renewed));
        Assert.Equal(request.Key.ExportSubjectPublicKeyInfo(), renewed.PublicKey.ExportSubjectPublicKeyInfo());

        // The new certificate connects as the same node.
        using var agent = new RawAgent(Coordinator, renewed);
        await agent.SendAsync(RawAgent.Hello("pi-1"));
        await agent.ReadAsync().DefaultTimeout();
        Assert.Equal(ClientSubject.Of(certificate)!.NodeId, Assert.Single(await NodesAsync()).Id);
    }

    [Fact]
    public async Task RenewCertificate_ForAnotherName_IsPermissionDenied()
    {
        var certificate = await Coordinator.EnrollAsync("pi-1");
        using var request = SigningRequest.Create("pi-2");
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate, certificate);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new AgentService.AgentServiceClient(channel)
            .RenewCertificateAsync(new RenewCertificateRequest { Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout());

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
    }

    [Fact]
    public async Task RenewCertificate_WithoutAClientCertificate_IsUnauthenticated()
    {
        using var request = SigningRequest.Create("pi-1");
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new AgentService.AgentServiceClient(channel)
            .RenewCertificateAsync(new RenewCertificateRequest { Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout());

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task Connect_AdminCertificate_IsNotANode()
    {
        using var request = SigningRequest.Create("alice");
        using var control = Coordinator.ControlChannel();
        var response = await new ControlService.ControlServiceClient(control)
            .CreateAdminCertificateAsync(new CreateAdminCertificateRequest { Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout();
        using var admin = request.Join(response.Certificate.ToByteArray());

        using var agent = new RawAgent(Coordinator, admin);
        await agent.SendAsync(RawAgent.Hello("alice"));
        var ex = await agent.ReadUntilFailureAsync().DefaultTimeout();

        Assert.Equal((StatusCode.PermissionDenied, "the client certificate is not a node certificate"), (ex.StatusCode, ex.Status.Detail));
    }
}

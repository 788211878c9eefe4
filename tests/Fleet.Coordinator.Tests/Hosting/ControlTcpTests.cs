using System.Net;
using Fleet.Security;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Hosting;

/// <summary>The optional TCP control listener: TLS, and only admin client certificates of this CA get in.</summary>
public sealed class ControlTcpTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;

    private Uri ControlUri => new($"https://127.0.0.1:{_coordinator.Options.ControlListen!.Port}");

    public async Task InitializeAsync()
    {
        var options = TestCoordinator.OptionsIn(_dir.Path);
        options.ControlListen = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        _coordinator = await TestCoordinator.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<RpcException> ListNodesFailsAsync(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
    {
        using var channel = TestTls.Channel(ControlUri, _coordinator.CaCertificate, certificate);
        return await Assert.ThrowsAsync<RpcException>(() => new ControlService.ControlServiceClient(channel).ListAllNodesAsync());
    }

    [Fact]
    public async Task ControlOverTcp_WithoutAClientCertificate_IsRefused()
    {
        var ex = await ListNodesFailsAsync(null);

        TlsRefusal.AssertRefusedByTls(ex);
    }

    [Fact]
    public async Task ControlOverTcp_WithANodeCertificate_IsRefused()
    {
        var ex = await ListNodesFailsAsync(await _coordinator.EnrollAsync("pi-1"));

        TlsRefusal.AssertRefusedByTls(ex);
    }

    [Fact]
    public async Task ControlOverTcp_WithTheCoordinatorsOwnServerCertificate_IsRefused()
    {
        using var server = _coordinator.Service<Fleet.Coordinator.Security.CertificateAuthority>().IssueServerCertificate(_coordinator.Service<Fleet.Coordinator.Security.CoordinatorTlsNames>().Names, DateTimeOffset.UtcNow);

        var ex = await ListNodesFailsAsync(server);

        TlsRefusal.AssertRefusedByTls(ex);
    }

    [Fact]
    public async Task ControlOverTcp_WithAnAdminCertificate_IsServed()
    {
        using var request = SigningRequest.Create("alice");
        using var socket = _coordinator.ControlChannel();
        var issued = await new ControlService.ControlServiceClient(socket)
            .CreateAdminCertificateAsync(new CreateAdminCertificateRequest { Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout();
        using var admin = request.Join(issued.Certificate.ToByteArray());
        await _coordinator.EnrollAsync("pi-1");

        using var channel = TestTls.Channel(ControlUri, _coordinator.CaCertificate, admin);
        var tokens = await new ControlService.ControlServiceClient(channel).ListTokensAsync(new ListTokensRequest()).ResponseAsync.DefaultTimeout();

        Assert.Single(tokens.Tokens);
    }

    [Fact]
    public async Task ControlOverTcp_RevokedAdminCertificate_IsPermissionDenied()
    {
        using var request = SigningRequest.Create("alice");
        using var socket = _coordinator.ControlChannel();
        var control = new ControlService.ControlServiceClient(socket);
        var issued = await control.CreateAdminCertificateAsync(new CreateAdminCertificateRequest { Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout();
        using var admin = request.Join(issued.Certificate.ToByteArray());
        using var channel = TestTls.Channel(ControlUri, _coordinator.CaCertificate, admin);
        var client = new ControlService.ControlServiceClient(channel);
        await client.ListAllNodesAsync();

        var revoked = await control.RevokeAdminCertificateAsync(new RevokeAdminCertificateRequest { Serial = admin.SerialNumber }).ResponseAsync.DefaultTimeout();
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ListAllNodesAsync());

        Assert.Equal("alice", revoked.Name);
        Assert.Equal((StatusCode.PermissionDenied, "the admin certificate is revoked"), (ex.StatusCode, ex.Status.Detail));
        var again = await Assert.ThrowsAsync<RpcException>(() => control.RevokeAdminCertificateAsync(new RevokeAdminCertificateRequest { Serial = "00ff" }).ResponseAsync.DefaultTimeout());
        Assert.Equal(StatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task AgentApi_OverTheControlTcpPort_IsNotServed()
    {
        using var request = SigningRequest.Create("alice");
        using var socket = _coordinator.ControlChannel();
        var issued = await new ControlService.ControlServiceClient(socket)
            .CreateAdminCertificateAsync(new CreateAdminCertificateRequest { Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout();
        using var admin = request.Join(issued.Certificate.ToByteArray());

        using var channel = TestTls.Channel(ControlUri, _coordinator.CaCertificate, admin);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new AgentService.AgentServiceClient(channel).GetCaCertificateAsync(new GetCaCertificateRequest()).ResponseAsync.DefaultTimeout());

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }
}

using System.Net;
using System.Security.Cryptography.X509Certificates;
using Fleet.Coordinator.Security;
using Fleet.Security;
using Fleet.Testing;
using Fleet.Testing.Hostile;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Hosting;

/// <summary>
/// A client certificate naming an AIA URL (where to fetch its missing issuer) is refused on both TLS
/// ports and by the per-call check, and the URL is never fetched: every chain is built from the Fleet
/// CA alone (DisableCertificateDownloads), in the TLS handshake and in Fleet's own checks.
/// </summary>
public sealed class CertificateDownloadTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;

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

    [Fact]
    public async Task ClientCertificateWithAnAiaUrl_IsRefusedEverywhere_AndTheUrlIsNeverFetched()
    {
        await using var aia = new CountingListener();
        using var root = TestCertificates.Ca("Elsewhere Root");
        using var intermediate = TestCertificates.Issue(root, "CN=Elsewhere Intermediate", isCa: true);
        using var client = TestCertificates.Issue(intermediate, "CN=pi-1, O=fleet-nodes, SERIALNUMBER=0123456789abcdef0123456789abcdef", TestCertificates.ClientAuth, aiaCaIssuers: aia.Url("intermediate.crt"));

        // The certificate does make a chain builder that may download go and fetch: the test can see a fetch.
        using (var permissive = new X509Chain())
        {
            permissive.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            permissive.ChainPolicy.UrlRetrievalTimeout = TimeSpan.FromSeconds(5);
            permissive.Build(client);
        }

        await Eventually.Until(() => aia.Connections > 0, "the permissive chain builder fetched the AIA URL");
        var before = aia.Connections;

        // The agent port and the control port refuse it in the handshake.
        using (var channel = TestTls.Channel(_coordinator.AgentUri, _coordinator.CaCertificate, client))
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => new AgentService.AgentServiceClient(channel)
                .GetCaCertificateAsync(new GetCaCertificateRequest()).ResponseAsync.DefaultTimeout());
            TlsRefusal.AssertRefusedByTls(ex);
        }

        using (var channel = TestTls.Channel(new Uri($"https://127.0.0.1:{_coordinator.Options.ControlListen!.Port}"), _coordinator.CaCertificate, client))
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => new ControlService.ControlServiceClient(channel)
                .ListAllNodesAsync().DefaultTimeout());
            TlsRefusal.AssertRefusedByTls(ex);
        }

        // Fleet's own checks (the per-call identity check, the agent's check of what it is given).
        Assert.False(_coordinator.Service<CertificateAuthority>().Verifies(client, DateTimeOffset.UtcNow));
        Assert.NotNull(FleetCaTrust.Problem(client, _coordinator.CaCertificate, CertificateRole.Client));
        Assert.NotNull(FleetCaTrust.Problem(client, intermediate, CertificateRole.Client));

        Assert.Equal(before, aia.Connections);
    }
}

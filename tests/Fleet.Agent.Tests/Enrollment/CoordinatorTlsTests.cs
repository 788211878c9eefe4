using Fleet.Agent.Enrollment;
using Fleet.Testing;
using Fleet.Testing.Hostile;
using Serilog.Extensions.Logging;

namespace Fleet.Agent.Tests.Enrollment;

/// <summary>The agent's TLS to the coordinator, against rogue servers on 127.0.0.1: refused in the handshake, nothing sent, nothing fetched.</summary>
public sealed class CoordinatorTlsTests
{
    private static async Task<HttpRequestException> GetFailsAsync(SocketsHttpHandler handler, int port)
    {
        using var client = new HttpClient(handler) { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        return await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri($"https://localhost:{port}/fleet.v1.AgentService/Connect")).DefaultTimeout());
    }

    [Fact]
    public async Task ServerCertificateWithAnAiaUrl_FromAnUnknownIssuer_IsRefused_NothingSent_NothingFetched()
    {
        await using var aia = new CountingListener();
        using var fleetCa = TestCertificates.Ca("Fleet CA");
        using var root = TestCertificates.Ca("Elsewhere Root");
        using var intermediate = TestCertificates.Issue(root, "CN=Elsewhere Intermediate", isCa: true);
        using var rogueCertificate = TestCertificates.Issue(intermediate, "CN=fleet-coordinator", TestCertificates.ServerAuth, ["localhost"], aia.Url("intermediate.crt"));
        await using var rogue = await RogueServer.StartAsync(rogueCertificate, fleetCa);
        var logs = new LogCollector();
        using var loggers = new SerilogLoggerFactory(new Serilog.LoggerConfiguration().WriteTo.Sink(logs).CreateLogger(), dispose: true);

        var ex = await GetFailsAsync(CoordinatorTls.Handler(fleetCa, null, loggers.CreateLogger("agent")), rogue.Port);

        Assert.IsAssignableFrom<System.Security.Authentication.AuthenticationException>(ex.InnerException);
        Assert.True(rogue.Connections > 0, "the agent did dial the rogue server");
        Assert.Equal(0, rogue.Requests);
        Assert.Equal(0, aia.Connections);
        var refusal = Assert.Single(logs.Messages, m => m.StartsWith("Refused the TLS certificate of", StringComparison.Ordinal));
        Assert.Contains("it is not issued by the Fleet CA", refusal);
    }
}

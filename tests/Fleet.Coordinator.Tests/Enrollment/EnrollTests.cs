using System.Security.Cryptography.X509Certificates;
using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Security;
using Fleet.Security;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Enrollment;

/// <summary>The Enroll RPC against the real coordinator on Kestrel with TLS: tokens, CSRs, the certificate it signs.</summary>
public sealed class EnrollTests : CoordinatorTest
{
    private async Task<RpcException> EnrollFailsAsync(string name, string token)
    {
        return await Assert.ThrowsAsync<RpcException>(() => Coordinator.EnrollAsync(name, token));
    }

    private async Task<JoinTokenRecord> TokenAsync(string token) =>
        (await Coordinator.Service<IJoinTokenStore>().ListAsync(CancellationToken.None)).Single(t => token.StartsWith(t.Id + ".", StringComparison.Ordinal));

    [Fact]
    public async Task Enroll_WithAToken_SignsTheCsrKeyWithTheNodeNameAndANewNodeId()
    {
        var token = await Coordinator.CreateTokenAsync(uses: 2);
        using var request = SigningRequest.Create("pi-1");
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate);

        var response = await new AgentService.AgentServiceClient(channel)
            .EnrollAsync(new EnrollRequest { Token = token, Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout();

        using var certificate = X509CertificateLoader.LoadCertificate(response.Certificate.ToByteArray());
        Assert.Equal(Coordinator.CaCertificate.RawData, response.CaCertificate.ToByteArray());
        Assert.True(Coordinator.Service<CertificateAuthority>().Verifies(certificate, DateTimeOffset.UtcNow));
        Assert.Equal(request.Key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        var subject = ClientSubject.Of(certificate)!;
        Assert.Equal((ClientSubject.NodeKind, "pi-1", response.NodeId), (subject.Kind, subject.Name, subject.NodeId));
        Assert.Matches("^[0-9a-f]{32}$", response.NodeId);
        Assert.InRange(certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromDays(29.9), TimeSpan.FromDays(30));
        Assert.Equal(1, (await TokenAsync(token)).Uses);
        var enrollment = await Coordinator.Service<IEnrollmentStore>().FindEnrollmentByNameAsync("pi-1", CancellationToken.None);
        Assert.Equal((response.NodeId, true), (enrollment!.NodeId, enrollment.Approved));
    }

    [Fact]
    public async Task Enroll_TokenUsedMoreTimesThanAllowed_IsRefused()
    {
        var token = await Coordinator.CreateTokenAsync(uses: 2);
        await Coordinator.EnrollAsync("pi-1", token);
        await Coordinator.EnrollAsync("pi-2", token);

        var ex = await EnrollFailsAsync("pi-3", token);

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Equal($"join token {token[..12]} has been used as many times as it allows", ex.Status.Detail);
        Assert.Equal(2, (await TokenAsync(token)).Uses);
        Assert.Null(await Coordinator.Service<IEnrollmentStore>().FindEnrollmentByNameAsync("pi-3", CancellationToken.None));
    }

    [Fact]
    public async Task Enroll_RevokedToken_IsRefused()
    {
        var token = await Coordinator.CreateTokenAsync();
        await Coordinator.Service<JoinTokens>().RevokeAsync(new RevokeTokenRequest { Id = token[..12] }, CancellationToken.None);

        var ex = await EnrollFailsAsync("pi-1", token);

        Assert.Equal((StatusCode.Unauthenticated, $"join token {token[..12]} is revoked"), (ex.StatusCode, ex.Status.Detail));
    }

    [Fact]
    public async Task Enroll_RightIdWrongSecret_IsRefusedWithoutSayingWhich()
    {
        var token = await Coordinator.CreateTokenAsync();
        var forged = token[..13] + new string('0', 48);

        var ex = await EnrollFailsAsync("pi-1", forged);

        Assert.Equal((StatusCode.Unauthenticated, "the join token is not known to this coordinator"), (ex.StatusCode, ex.Status.Detail));
        Assert.Equal(0, (await TokenAsync(token)).Uses);
    }

    [Fact]
    public async Task Enroll_MalformedToken_IsRefused()
    {
        var ex = await EnrollFailsAsync("pi-1", "not-a-token");

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("ID.SECRET", ex.Status.Detail);
    }

    [Fact]
    public async Task Enroll_NameAlreadyEnrolled_IsRefusedAndTheTokenUseIsNotSpent()
    {
        await Coordinator.EnrollAsync("pi-1");
        var token = await Coordinator.CreateTokenAsync(uses: 1);

        var ex = await EnrollFailsAsync("pi-1", token);

        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Contains("fleetctl nodes remove pi-1", ex.Status.Detail);
        Assert.Equal(0, (await TokenAsync(token)).Uses);
    }

    [Fact]
    public async Task Enroll_CsrWithAnInvalidNodeName_IsRefused()
    {
        var ex = await EnrollFailsAsync("Not_A_Name", await Coordinator.CreateTokenAsync());

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("is not a valid node name", ex.Status.Detail);
    }

    [Fact]
    public async Task Enroll_CsrNotSignedByItsKey_IsRefused()
    {
        using var request = SigningRequest.Create("pi-1");
        var tampered = request.Der.ToArray();
        tampered[^5] ^= 0xff; // inside the signature
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate);
        var token = await Coordinator.CreateTokenAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => new AgentService.AgentServiceClient(channel)
            .EnrollAsync(new EnrollRequest { Token = token, Csr = ByteString.CopyFrom(tampered) }).ResponseAsync.DefaultTimeout());

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("csr: not a valid signed PKCS#10 request", ex.Status.Detail);
    }

    [Fact]
    public async Task Enroll_FloodFromOneAddress_IsTurnedAwayBeforeTheTokenIsLookedAt()
    {
        var limit = Coordinator.Options.EnrollmentsPerSecondPerAddress;
        using var request = SigningRequest.Create("pi-1");
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate);
        var client = new AgentService.AgentServiceClient(channel);
        var codes = new List<StatusCode>();

        // Over one connection, as fast as possible: at most twice the limit fit in any two one-second windows.
        for (var i = 0; i < (limit * 2) + 1; i++)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => client.EnrollAsync(new EnrollRequest { Token = "0123456789ab." + new string('0', 48), Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout());
            codes.Add(ex.StatusCode);
        }

        Assert.Contains(StatusCode.ResourceExhausted, codes);
        Assert.Contains(StatusCode.Unauthenticated, codes);
    }

    [Fact]
    public async Task GetCaCertificate_WithoutAClientCertificate_ReturnsTheCaWhosePinTokenCreatePrints()
    {
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate);

        var ca = await new AgentService.AgentServiceClient(channel).GetCaCertificateAsync(new GetCaCertificateRequest()).ResponseAsync.DefaultTimeout();

        using var certificate = X509CertificateLoader.LoadCertificate(ca.Der.ToByteArray());
        var created = await Coordinator.Service<JoinTokens>().CreateAsync(new CreateTokenRequest { Uses = 1, Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(5)) }, CancellationToken.None);
        Assert.Equal(created.CaPin, CaPin.Of(certificate));
        Assert.Matches("^sha256:[0-9a-f]{64}$", created.CaPin);
    }
}

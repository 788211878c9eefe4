using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Security;
using Fleet.Security;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>
/// A renewal revokes the certificate it replaces. Two holders of the same node key and certificate
/// (the node, and a thief with a copy): whichever renews first keeps the node; the other copy can
/// neither connect nor renew.
/// </summary>
public sealed class RenewalRevocationTests : CoordinatorTest
{
    private async Task<RenewCertificateResponse> RenewAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 presented, SigningRequest request)
    {
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate, presented);
        return await new AgentService.AgentServiceClient(channel)
            .RenewCertificateAsync(new RenewCertificateRequest { Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout();
    }

    /// <summary>A session with <paramref name="certificate"/>: the refusal may come while Hello is being written, or after.</summary>
    private async Task<RpcException> SessionRefusedAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        using var agent = new RawAgent(Coordinator, certificate);
        try
        {
            await agent.SendAsync(RawAgent.Hello("pi-1"));
        }
        catch (RpcException ex)
        {
            return ex;
        }

        return await agent.ReadUntilFailureAsync().DefaultTimeout();
    }

    private Task<IssuedCertificate?> IssuedAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        Coordinator.Service<IEnrollmentStore>().FindCertificateAsync(IssuedCertificate.SerialOf(certificate), CancellationToken.None);

    [Fact]
    public async Task Renew_RevokesTheRenewedAwayCertificate_TheOtherCopyCanNeitherConnectNorRenew()
    {
        var enrolled = await Coordinator.EnrollAsync("pi-1");
        // Two copies of the same credentials: the node's and a thief's.
        using var nodeCopy = enrolled;
        using var thiefCopy = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(enrolled.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12), null);

        using var request = SigningRequest.Create("pi-1");
        using var renewed = request.Join((await RenewAsync(nodeCopy, request)).Certificate.ToByteArray());

        // The thief's copy: no session, no renewal.
        var refused = await SessionRefusedAsync(thiefCopy);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("revoked", refused.Status.Detail);

        using var thiefRequest = SigningRequest.Create("pi-1");
        var ex = await Assert.ThrowsAsync<RpcException>(() => RenewAsync(thiefCopy, thiefRequest));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("revoked", ex.Status.Detail);

        // The renewed certificate is the node's one valid certificate.
        using (var agent = new RawAgent(Coordinator, renewed))
        {
            await agent.SendAsync(RawAgent.Hello("pi-1"));
            await agent.ReadAsync().DefaultTimeout();
        }

        Assert.NotNull((await IssuedAsync(enrolled))!.RevokedAt);
        Assert.Null((await IssuedAsync(renewed))!.RevokedAt);
        Assert.Contains(Coordinator.Logs.Events, e => e.MessageTemplate.Text.StartsWith("Refused the client certificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Renew_TwiceAtOnceWithTheSameCertificate_ExactlyOneWins()
    {
        var enrolled = await Coordinator.EnrollAsync("pi-1");
        using var first = SigningRequest.Create("pi-1");
        using var second = SigningRequest.Create("pi-1");

        var outcomes = await Task.WhenAll(
            Task.Run(async () => { try { return (await RenewAsync(enrolled, first)).Certificate; } catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied) { return null; } }),
            Task.Run(async () => { try { return (await RenewAsync(enrolled, second)).Certificate; } catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied) { return null; } }));

        var issued = Assert.Single(outcomes, o => o is not null);
        using var winner = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(issued!.ToByteArray());
        Assert.Null((await IssuedAsync(winner))!.RevokedAt);
        Assert.NotNull((await IssuedAsync(enrolled))!.RevokedAt);
        // One certificate of the node is valid: the winner's.
        var nodeId = ClientSubject.Of(enrolled)!.NodeId!;
        Assert.Equal(1, await ValidCertificatesAsync(nodeId));
    }

    [Fact]
    public async Task Renew_ByARemovedNode_IsRefusedAndIssuesNothing()
    {
        var enrolled = await Coordinator.EnrollAsync("pi-1");
        using (var control = Coordinator.ControlChannel())
        {
            await new ControlService.ControlServiceClient(control).RemoveNodeAsync(new RemoveNodeRequest { Name = "pi-1" }).ResponseAsync.DefaultTimeout();
        }

        using var request = SigningRequest.Create("pi-1");
        var ex = await Assert.ThrowsAsync<RpcException>(() => RenewAsync(enrolled, request));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(0, await ValidCertificatesAsync(ClientSubject.Of(enrolled)!.NodeId!));
    }

    private async Task<long> ValidCertificatesAsync(string nodeId)
    {
        await using var connection = await Coordinator.Service<Fleet.Coordinator.Storage.SqliteDatabase>().OpenAsync(CancellationToken.None);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT COUNT(*) FROM certificates WHERE node_id = $node AND revoked_at IS NULL";
        query.Parameters.AddWithValue("$node", nodeId);
        return (long)(await query.ExecuteScalarAsync())!;
    }
}

using System.Security.Cryptography.X509Certificates;
using Fleet.Coordinator.Security;
using Fleet.Security;
using Fleet.Testing;
using Fleet.Testing.Hostile;

namespace Fleet.Coordinator.Tests.Security;

/// <summary>
/// One CA, two roles: the coordinator's certificate serves only as a server, for the names in its
/// SANs; node and admin certificates serve only as clients. Every other shape is refused in both.
/// </summary>
public sealed class CertificateRoleTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly CertificateAuthority _ca;

    public CertificateRoleTests() => _ca = CertificateAuthority.LoadOrCreate(_dir.Path, DateTimeOffset.UtcNow);

    public void Dispose()
    {
        _ca.Dispose();
        _dir.Dispose();
    }

    private X509Certificate2 Node(string name)
    {
        using var request = SigningRequest.Create(name);
        var csr = CertificateRequest.LoadSigningRequest(request.Der, System.Security.Cryptography.HashAlgorithmName.SHA256);
        return _ca.IssueClientCertificate(csr.PublicKey, ClientSubject.ForNode(name, "0123456789abcdef0123456789abcdef"), DateTimeOffset.UtcNow, TimeSpan.FromDays(30));
    }

    [Fact]
    public void CoordinatorCertificate_ServesTheNamesInItsSans_AndIsNeverAClient()
    {
        using var server = _ca.IssueServerCertificate(["localhost", "127.0.0.1", "fleet.example.org"], DateTimeOffset.UtcNow);

        Assert.Null(FleetCaTrust.ServerProblem(server, _ca.Certificate, "localhost"));
        Assert.Null(FleetCaTrust.ServerProblem(server, _ca.Certificate, "127.0.0.1"));
        Assert.Null(FleetCaTrust.ServerProblem(server, _ca.Certificate, "Fleet.Example.ORG"));
        Assert.Equal("it is not for other.example.org (not among its subject alternative names)", FleetCaTrust.ServerProblem(server, _ca.Certificate, "other.example.org"));
        // Its CN is never a name it serves.
        Assert.NotNull(FleetCaTrust.ServerProblem(server, _ca.Certificate, "fleet-coordinator"));
        Assert.False(_ca.Verifies(server, DateTimeOffset.UtcNow));
        Assert.Equal("it is not a client (node or admin) certificate (its extended key usage lacks clientAuth)", FleetCaTrust.Problem(server, _ca.Certificate, CertificateRole.Client));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("pi-1")]
    public void NodeCertificate_WhateverItsName_IsNeverTheCoordinators(string name)
    {
        using var node = Node(name);

        Assert.True(_ca.Verifies(node, DateTimeOffset.UtcNow));
        Assert.Equal("it is not a server (coordinator) certificate (its extended key usage lacks serverAuth)", FleetCaTrust.ServerProblem(node, _ca.Certificate, name));
        Assert.Empty(node.Extensions.OfType<X509SubjectAlternativeNameExtension>());
    }

    public static TheoryData<string, string[]?, string[]?, CertificateRole, string, string> HostileShapes() => new()
    {
        // name, EKUs, SANs, role claimed, host dialled, the refusal
        { "no EKU (good for anything, were it allowed)", null, ["localhost"], CertificateRole.Server, "localhost", "its extended key usage lacks serverAuth" },
        { "no EKU as a client", null, null, CertificateRole.Client, "", "its extended key usage lacks clientAuth" },
        { "server and client at once, as a server", TestCertificates.Both, ["localhost"], CertificateRole.Server, "localhost", "it is a client (node or admin) certificate too" },
        { "server and client at once, as a client", TestCertificates.Both, null, CertificateRole.Client, "", "it is a server (coordinator) certificate too" },
        { "serverAuth without SANs, CN = the host", TestCertificates.ServerAuth, null, CertificateRole.Server, "localhost", "it names no host (no subject alternative name)" },
        { "a wildcard SAN", TestCertificates.ServerAuth, ["*.example.org"], CertificateRole.Server, "fleet.example.org", "it is not for fleet.example.org" },
        { "an IP SAN for a DNS name", TestCertificates.ServerAuth, ["127.0.0.1"], CertificateRole.Server, "localhost", "it is not for localhost" },
        { "a DNS SAN for an IP", TestCertificates.ServerAuth, ["localhost"], CertificateRole.Server, "127.0.0.1", "it is not for 127.0.0.1" },
        { "a clientAuth certificate with a SAN, as a server", TestCertificates.ClientAuth, ["localhost"], CertificateRole.Server, "localhost", "its extended key usage lacks serverAuth" },
    };

    [Theory]
    [MemberData(nameof(HostileShapes))]
    public void HostileShape_IsRefused_NamingWhy(string shape, string[]? usages, string[]? sans, CertificateRole role, string host, string refusal)
    {
        using var ca = TestCertificates.Ca($"Test CA for {shape}");
        using var certificate = TestCertificates.Issue(ca, "CN=localhost", usages, sans);

        var problem = role == CertificateRole.Server
            ? FleetCaTrust.ServerProblem(certificate, ca, host)
            : FleetCaTrust.Problem(certificate, ca, role);

        Assert.NotNull(problem);
        Assert.Contains(refusal, problem);
    }

    [Fact]
    public void RightShape_OtherCaOrExpired_IsRefused()
    {
        using var ca = TestCertificates.Ca("Test CA");
        using var other = TestCertificates.Ca("Other CA");
        using var server = TestCertificates.Issue(ca, "CN=fleet-coordinator", TestCertificates.ServerAuth, ["localhost"]);
        using var client = TestCertificates.Issue(ca, "CN=pi-1", TestCertificates.ClientAuth);

        Assert.Null(FleetCaTrust.ServerProblem(server, ca, "localhost"));
        Assert.Null(FleetCaTrust.Problem(client, ca, CertificateRole.Client));
        Assert.StartsWith("it is not issued by the Fleet CA", FleetCaTrust.ServerProblem(server, other, "localhost"));
        Assert.StartsWith("it is not issued by the Fleet CA", FleetCaTrust.Problem(client, other, CertificateRole.Client));
        Assert.StartsWith("it is not issued by the Fleet CA or not valid now", FleetCaTrust.Problem(client, ca, CertificateRole.Client, DateTimeOffset.UtcNow.AddDays(8)));
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Coordinator.Security;

namespace Fleet.Coordinator.Tests.Security;

public sealed class ClientSubjectTests
{
    private static X509Certificate2 SelfSigned(X500DistinguishedName subject)
    {
        using var key = ECDsa.Create();
        return new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
    }

    [Fact]
    public void Of_NodeSubject_ReadsNameAndNodeId()
    {
        using var certificate = SelfSigned(ClientSubject.ForNode("pi-1", "4f1c"));

        Assert.Equal(new ClientSubject(ClientSubject.NodeKind, "pi-1", "4f1c"), ClientSubject.Of(certificate));
    }

    [Fact]
    public void Of_AdminSubject_HasNoNodeId()
    {
        using var certificate = SelfSigned(ClientSubject.ForAdmin("alice"));

        Assert.Equal(new ClientSubject(ClientSubject.AdminKind, "alice", null), ClientSubject.Of(certificate));
    }

    [Fact]
    public void Of_ForeignSubject_IsNull()
    {
        using var certificate = SelfSigned(new X500DistinguishedName("CN=pi-1, O=someone-else"));

        Assert.Null(ClientSubject.Of(certificate));
    }
}

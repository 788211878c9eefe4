using Fleet.Coordinator.Security;
using Fleet.Security;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Security;

public sealed class CertificateAuthorityTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void LoadOrCreate_FirstStart_WritesTheKeyOwnerOnlyAndKeepsItAcrossRestarts()
    {
        string pin;
        using (var created = CertificateAuthority.LoadOrCreate(_dir.Path, DateTimeOffset.UtcNow))
        {
            pin = created.Pin;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dir.Combine(CertificateAuthority.KeyFile)));
        using var loaded = CertificateAuthority.LoadOrCreate(_dir.Path, DateTimeOffset.UtcNow);
        Assert.Equal(pin, loaded.Pin);
        Assert.Equal(pin, CaPin.Of(PemFiles.ReadCertificate(_dir.Combine(CertificateAuthority.CertificateFile))));
    }

    [Fact]
    public void LoadOrCreate_KeyReadableByOthers_RefusesNamingTheFileAndTheFix()
    {
        CertificateAuthority.LoadOrCreate(_dir.Path, DateTimeOffset.UtcNow).Dispose();
        var key = _dir.Combine(CertificateAuthority.KeyFile);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var ex = Assert.Throws<InvalidOperationException>(() => CertificateAuthority.LoadOrCreate(_dir.Path, DateTimeOffset.UtcNow));

        Assert.Equal($"{key} may be read by others (mode 640); it must be 0600: chmod 600 {key}", ex.Message);
    }

    [Fact]
    public async Task Coordinator_KeyReadableByOthers_DoesNotStart()
    {
        var options = TestCoordinator.OptionsIn(_dir.Path);
        Directory.CreateDirectory(options.DataDir);
        CertificateAuthority.LoadOrCreate(options.DataDir, DateTimeOffset.UtcNow).Dispose();
        File.SetUnixFileMode(Path.Join(options.DataDir, CertificateAuthority.KeyFile), (UnixFileMode)0b110_100_100);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestCoordinator.StartAsync(options));

        Assert.Contains("must be 0600", ex.Message);
    }

    [Fact]
    public void Verifies_OnlyItsOwnCertificatesWithinTheirValidity()
    {
        using var ca = CertificateAuthority.LoadOrCreate(_dir.Combine("a"), DateTimeOffset.UtcNow);
        using var other = CertificateAuthority.LoadOrCreate(_dir.Combine("b"), DateTimeOffset.UtcNow);
        using var request = SigningRequest.Create("pi-1");
        var publicKey = System.Security.Cryptography.X509Certificates.CertificateRequest
            .LoadSigningRequest(request.Der, System.Security.Cryptography.HashAlgorithmName.SHA256).PublicKey;
        var now = DateTimeOffset.UtcNow;
        using var mine = ca.IssueClientCertificate(publicKey, ClientSubject.ForNode("pi-1", "0123"), now, TimeSpan.FromDays(30));
        using var theirs = other.IssueClientCertificate(publicKey, ClientSubject.ForNode("pi-1", "0123"), now, TimeSpan.FromDays(30));

        Assert.True(ca.Verifies(mine, now));
        Assert.False(ca.Verifies(theirs, now));
        Assert.False(ca.Verifies(mine, now + TimeSpan.FromDays(31))); // expired
        Assert.False(ca.Verifies(mine, now - TimeSpan.FromHours(1))); // not yet valid (beyond the 5-minute backdate)
    }

    [Fact]
    public void IssueServerCertificate_CarriesTheConfiguredNames()
    {
        using var ca = CertificateAuthority.LoadOrCreate(_dir.Path, DateTimeOffset.UtcNow);

        using var server = ca.IssueServerCertificate(["localhost", "127.0.0.1", "fleet.example.org", "10.0.0.7"], DateTimeOffset.UtcNow);

        Assert.True(server.HasPrivateKey);
        Assert.True(server.MatchesHostname("fleet.example.org"));
        Assert.True(server.MatchesHostname("10.0.0.7"));
        Assert.False(server.MatchesHostname("other.example.org"));
    }
}

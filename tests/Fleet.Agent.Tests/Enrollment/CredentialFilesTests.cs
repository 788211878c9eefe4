using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Agent.Configuration;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Hosting;
using Fleet.Security;
using Fleet.Testing;
using Fleet.Testing.Hostile;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Agent.Tests.Enrollment;

/// <summary>
/// The node's key and certificate are replaced as one: a crash or a full disk at any point of a save
/// (simulated by the test seam, at each step) leaves a set that holds together, and a set that does
/// not hold together at start-up is passed over for one that does.
/// </summary>
public sealed class CredentialFilesTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly X509Certificate2 _ca = TestCertificates.Ca("Fleet CA");

    public void Dispose()
    {
        _ca.Dispose();
        _dir.Dispose();
    }

    private string State => _dir.Combine("state");

    /// <summary>A node certificate with its key, as enrollment or renewal gives one.</summary>
    private X509Certificate2 Issue() => TestCertificates.Issue(_ca, "CN=pi-1, O=fleet-nodes, SERIALNUMBER=0123456789abcdef0123456789abcdef", TestCertificates.ClientAuth);

    private static void Save(CredentialFiles files, X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var key = certificate.GetECDsaPrivateKey()!;
        files.Save(key, certificate, ca);
    }

    private X509Certificate2 Loaded() => new CredentialFiles(State).Load().Certificate;

    [Fact]
    public void Save_ThenLoad_GivesTheSet_WithThePlainNamesLinkedToIt_AndTheKeyOwnerOnly()
    {
        using var first = Issue();
        using var second = Issue();
        Save(new CredentialFiles(State), first, _ca);
        Save(new CredentialFiles(State), second, _ca);

        using var loaded = Loaded();
        Assert.Equal(second.SerialNumber, loaded.SerialNumber);
        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(second.SerialNumber, PemFiles.ReadCertificate(Path.Join(State, "node.crt")).SerialNumber);
        Assert.Equal(PemFiles.PrivateMode, File.GetUnixFileMode(Path.Join(State, "node.key")));
        Assert.Equal("credentials/2/node.crt", new FileInfo(Path.Join(State, "node.crt")).LinkTarget);
        Assert.Equal(["1", "2"], Directory.GetDirectories(Path.Join(State, "credentials")).Select(Path.GetFileName).Order());

        // Only the set before is kept.
        using var third = Issue();
        Save(new CredentialFiles(State), third, _ca);
        Assert.Equal(["2", "3"], Directory.GetDirectories(Path.Join(State, "credentials")).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData(CredentialFiles.KeyFile)] // the new key written, not its certificate: the crash of the issue
    [InlineData(CredentialFiles.CertificateFile)]
    public void CrashBeforeTheSetIsComplete_LoadsThePreviousSet(string crashAfter)
    {
        using var old = Issue();
        using var renewed = Issue();
        Save(new CredentialFiles(State), old, _ca);

        var crashing = new CredentialFiles(State, written => { if (written == crashAfter) { throw new SimulatedCrash(); } });
        Assert.Throws<SimulatedCrash>(() => Save(crashing, renewed, _ca));

        using var loaded = Loaded();
        Assert.Equal(old.SerialNumber, loaded.SerialNumber);
        Assert.Equal(old.PublicKey.ExportSubjectPublicKeyInfo(), loaded.GetECDsaPrivateKey()!.ExportSubjectPublicKeyInfo());
    }

    [Theory]
    [InlineData(CredentialFiles.CaFile)] // the set complete, the pointer not moved yet: the new set is the one the coordinator accepts
    [InlineData(CredentialFiles.PointerFile)]
    public void CrashOnceTheSetIsComplete_LoadsTheNewSet(string crashAfter)
    {
        using var old = Issue();
        using var renewed = Issue();
        Save(new CredentialFiles(State), old, _ca);

        var crashing = new CredentialFiles(State, written => { if (written == crashAfter) { throw new SimulatedCrash(); } });
        Assert.Throws<SimulatedCrash>(() => Save(crashing, renewed, _ca));

        using var loaded = Loaded();
        Assert.Equal(renewed.SerialNumber, loaded.SerialNumber);
        Assert.Equal("2", File.ReadAllText(Path.Join(State, "credentials", "current")).Trim());
    }

    [Fact]
    public void DiskFullWhileRenewing_TheNewCredentialsStayInUse_AndAreStoredOnceTheDiskTakesThem()
    {
        using var old = Issue();
        using var renewed = Issue();
        Save(new CredentialFiles(State), old, _ca);
        var full = true;
        var files = new CredentialFiles(State, written => { if (full && written == CredentialFiles.KeyFile) { throw new IOException("No space left on device"); } });
        var credentials = new NodeCredentials(files, NullLogger.Instance);
        credentials.Load();
        var generation = credentials.Current.Generation;

        using (var key = renewed.GetECDsaPrivateKey()!)
        {
            Assert.Throws<IOException>(() => credentials.Save(key, renewed, _ca));
        }

        Assert.True(credentials.SavePending);
        Assert.Equal(renewed.SerialNumber, credentials.Certificate.SerialNumber);
        Assert.True(credentials.Current.Generation > generation);
        using (var onDisk = Loaded())
        {
            Assert.Equal(old.SerialNumber, onDisk.SerialNumber); // a set that holds together, the previous one
        }

        full = false;
        credentials.Persist();

        Assert.False(credentials.SavePending);
        using var stored = Loaded();
        Assert.Equal(renewed.SerialNumber, stored.SerialNumber);
    }

    [Fact]
    public void MismatchedSetAtStartUp_IsPassedOver_ForTheSetBefore_AndTheAgentStarts()
    {
        using var old = Issue();
        using var renewed = Issue();
        using var stranger = Issue();
        Save(new CredentialFiles(State), old, _ca);
        Save(new CredentialFiles(State), renewed, _ca);
        // The newest set's key is another certificate's.
        using (var wrongKey = stranger.GetECDsaPrivateKey()!)
        {
            File.Delete(Path.Join(State, "credentials/2/node.key"));
            PemFiles.WriteKey(Path.Join(State, "credentials/2/node.key"), wrongKey);
        }

        var loaded = new CredentialFiles(State).Load();

        Assert.Equal(old.SerialNumber, loaded.Certificate.SerialNumber);
        Assert.StartsWith("generation 2: ", loaded.PassedOver);
        Assert.Contains("is not the key of", loaded.PassedOver);
        Assert.Equal("1", File.ReadAllText(Path.Join(State, "credentials", "current")).Trim());

        // The whole agent host starts on it (it loads its credentials while being built).
        var options = new AgentOptions { Coordinator = new Uri("https://127.0.0.1:1"), Root = _dir.Path, StateDir = "/state" };
        using var host = AgentHost.Build(options, logging => { });
        Assert.NotNull(host);
    }

    [Fact]
    public void NoSetHoldsTogether_StopsWithOneClearLine()
    {
        using var certificate = Issue();
        using var stranger = Issue();
        Save(new CredentialFiles(State), certificate, _ca);
        File.Delete(Path.Join(State, "credentials/1/node.key"));
        using (var wrongKey = stranger.GetECDsaPrivateKey()!)
        {
            PemFiles.WriteKey(Path.Join(State, "credentials/1/node.key"), wrongKey);
        }

        var ex = Assert.Throws<NotEnrolledException>(() => new CredentialFiles(State).Load());

        Assert.Contains("generation 1: ", ex.Message);
        Assert.Contains("is not the key of", ex.Message);
        Assert.EndsWith("enroll the node again", ex.Message);
    }

    [Fact]
    public void StateFromAnEarlierVersion_PlainFiles_IsLoaded_AndBecomesAGenerationAtTheNextSave()
    {
        using var old = Issue();
        using var renewed = Issue();
        Directory.CreateDirectory(State);
        using (var key = old.GetECDsaPrivateKey()!)
        {
            PemFiles.WriteKey(Path.Join(State, "node.key"), key);
        }

        PemFiles.WriteCertificate(Path.Join(State, "node.crt"), old);
        PemFiles.WriteCertificate(Path.Join(State, "ca.crt"), _ca);
        var credentials = new NodeCredentials(new HostPaths(new AgentOptions { Root = _dir.Path, StateDir = "/state" }));
        credentials.Load();
        Assert.Equal(old.SerialNumber, credentials.Certificate.SerialNumber);

        using (var key = renewed.GetECDsaPrivateKey()!)
        {
            credentials.Save(key, renewed, _ca);
        }

        using var loaded = Loaded();
        Assert.Equal(renewed.SerialNumber, loaded.SerialNumber);
        Assert.Equal("credentials/1/node.key", new FileInfo(Path.Join(State, "node.key")).LinkTarget);
    }

    [Fact]
    public void MismatchedPlainFilesOfAnEarlierVersion_StopWithOneClearLine()
    {
        using var certificate = Issue();
        using var stranger = Issue();
        Directory.CreateDirectory(State);
        using (var key = stranger.GetECDsaPrivateKey()!)
        {
            PemFiles.WriteKey(Path.Join(State, "node.key"), key);
        }

        PemFiles.WriteCertificate(Path.Join(State, "node.crt"), certificate);
        PemFiles.WriteCertificate(Path.Join(State, "ca.crt"), _ca);

        var ex = Assert.Throws<NotEnrolledException>(() => new CredentialFiles(State).Load());

        Assert.Contains("node.key is not the key of", ex.Message);
    }

    private sealed class SimulatedCrash : Exception;
}

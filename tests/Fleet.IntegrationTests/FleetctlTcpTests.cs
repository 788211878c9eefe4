using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Fleet.Security;
using Fleet.Testing;

namespace Fleet.IntegrationTests;

/// <summary>fleetctl over the optional TCP control listener: an admin certificate or nothing.</summary>
public sealed class FleetctlTcpTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;

    private string Server => $"https://127.0.0.1:{_coordinator.Options.ControlListen!.Port}";

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
    public async Task AdminCertCreate_ThenFleetctlOverTcp_WorksWithFlagsAndWithTheConfigFile()
    {
        var folder = _dir.Combine("alice");
        var created = await Fleetctl.RunAsync("admin-cert", "create", "alice", "--out", folder, "--socket", _coordinator.Socket);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var key = Path.Join(folder, "alice.key");
        var certificate = Path.Join(folder, "alice.crt");
        Assert.Equal(PemFiles.PrivateMode, File.GetUnixFileMode(key));
        Assert.True(File.Exists(Path.Join(folder, "ca.crt")));

        var withFlags = await Fleetctl.RunAsync("token", "create", "--server", Server, "--cert", certificate, "--key", key);
        Assert.True(withFlags.ExitCode == 0, withFlags.Stderr);
        Assert.StartsWith("token:", withFlags.Stdout);

        // ~/.config/fleet/config instead of flags; ca.crt is found beside the certificate.
        var home = _dir.Combine("home");
        Directory.CreateDirectory(Path.Join(home, ".config", "fleet"));
        await File.WriteAllTextAsync(Path.Join(home, ".config", "fleet", "config"), $"# fleetctl\nserver: {Server}\ncert: {certificate}\nkey = {key}\n");
        var withConfig = await Fleetctl.RunWithEnvironmentAsync(new Dictionary<string, string?> { ["HOME"] = home }, "token", "list", "-o", "json");
        Assert.True(withConfig.ExitCode == 0, withConfig.Stderr);
        Assert.Contains("\"status\": \"valid\"", withConfig.Stdout);
    }

    [Fact]
    public async Task ServerWithoutCertificate_IsAUsageErrorNamingWhatIsMissing()
    {
        var result = await Fleetctl.RunAsync("nodes", "list", "--server", Server);

        Assert.Equal((2, "fleetctl: --server needs --cert and --key: an admin certificate from `fleetctl admin-cert create`\n"), (result.ExitCode, result.Stderr));
    }

    [Fact]
    public async Task NodeCertificateInsteadOfAdmin_IsTurnedAwayInOneLine()
    {
        var folder = _dir.Combine("node");
        Directory.CreateDirectory(folder);
        using var node = await _coordinator.EnrollAsync("pi-1");
        PemFiles.WriteCertificate(Path.Join(folder, "pi-1.crt"), node);
        PemFiles.WriteKey(Path.Join(folder, "pi-1.key"), System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPrivateKey(node)!);
        PemFiles.WriteCertificate(Path.Join(folder, "ca.crt"), _coordinator.CaCertificate);

        var result = await Fleetctl.RunAsync("nodes", "list", "--server", Server, "--cert", Path.Join(folder, "pi-1.crt"), "--key", Path.Join(folder, "pi-1.key"));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"fleetctl: cannot reach the coordinator at {Server}/: the TLS connection failed: ", result.Stderr);
        Assert.EndsWith("(is --cert an admin certificate of this coordinator, from `fleetctl admin-cert create`?)\n", result.Stderr);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task AdminCertList_ShowsEveryIssuedAdminCertificate_WithItsFingerprint_RevokedOnesMarked_NodesLeftOut_NeverAKey()
    {
        var alice = await CreateAdminAsync("alice");
        var bob = await CreateAdminAsync("bob");
        using var node = await _coordinator.EnrollAsync("pi-1"); // a node certificate: not an admin's
        var revoked = await Fleetctl.RunAsync("admin-cert", "revoke", bob.Serial, "--socket", _coordinator.Socket);
        Assert.True(revoked.ExitCode == 0, revoked.Stderr);

        var json = await Fleetctl.RunAsync("admin-cert", "list", "-o", "json", "--socket", _coordinator.Socket);

        Assert.True(json.ExitCode == 0, json.Stderr);
        var listed = JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["alice", "bob"], listed.Select(c => c.Str("name")));
        Assert.Equal([alice.Serial, bob.Serial], listed.Select(c => c.Str("serial")));
        Assert.Equal(["valid", "revoked"], listed.Select(c => c.Str("status")));
        Assert.Equal([alice.Sha256, bob.Sha256], listed.Select(c => c.Str("sha256")));
        Assert.Equal(JsonValueKind.Null, listed[0].GetProperty("revokedAt").ValueKind);
        Assert.Equal(JsonValueKind.String, listed[1].GetProperty("revokedAt").ValueKind);
        Assert.Equal(alice.NotAfter, listed[0].GetProperty("notAfter").GetDateTimeOffset());
        Assert.Equal(["name", "serial", "status", "sha256", "notBefore", "notAfter", "revokedAt"], listed[0].EnumerateObject().Select(p => p.Name));
        Assert.DoesNotContain("PRIVATE", json.Stdout, StringComparison.Ordinal);

        var table = await Fleetctl.RunAsync("admin-cert", "list", "--socket", _coordinator.Socket);
        var lines = table.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(["NAME", "SERIAL", "STATUS", "EXPIRES"], lines[0].Split("   ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(3, lines.Length);
        Assert.Contains("revoked", lines[2], StringComparison.Ordinal);
        var wide = await Fleetctl.RunAsync("admin-cert", "list", "-o", "wide", "--socket", _coordinator.Socket);
        Assert.Contains(alice.Sha256, wide.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("pi-1", wide.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminCertList_OverTcp_IsServedToAValidAdmin_AndRefusedOnceItsCertificateIsRevoked()
    {
        var alice = await CreateAdminAsync("alice");
        string[] overTcp = ["admin-cert", "list", "--server", Server, "--cert", alice.Certificate, "--key", alice.Key];

        var served = await Fleetctl.RunAsync(overTcp);
        Assert.True(served.ExitCode == 0, served.Stderr);
        Assert.Contains(alice.Serial, served.Stdout, StringComparison.Ordinal);

        Assert.Equal(0, (await Fleetctl.RunAsync("admin-cert", "revoke", alice.Serial, "--socket", _coordinator.Socket)).ExitCode);
        var refused = await Fleetctl.RunAsync(overTcp);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("the admin certificate is revoked", refused.Stderr, StringComparison.Ordinal);
        Assert.Empty(refused.Stdout);
    }

    [Fact]
    public async Task AdminCertList_WithANodeCertificate_IsRefusedAtTheHandshake()
    {
        await CreateAdminAsync("alice");
        var folder = _dir.Combine("node");
        Directory.CreateDirectory(folder);
        using var node = await _coordinator.EnrollAsync("pi-1");
        PemFiles.WriteCertificate(Path.Join(folder, "pi-1.crt"), node);
        PemFiles.WriteKey(Path.Join(folder, "pi-1.key"), node.GetECDsaPrivateKey()!);
        PemFiles.WriteCertificate(Path.Join(folder, "ca.crt"), _coordinator.CaCertificate);

        var result = await Fleetctl.RunAsync("admin-cert", "list", "-o", "json", "--server", Server, "--cert", Path.Join(folder, "pi-1.crt"), "--key", Path.Join(folder, "pi-1.key"));

        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.Stdout);
        Assert.Contains("(is --cert an admin certificate of this coordinator", result.Stderr, StringComparison.Ordinal);
    }

    private sealed record Admin(string Certificate, string Key, string Serial, string Sha256, DateTimeOffset NotAfter);

    private async Task<Admin> CreateAdminAsync(string name)
    {
        var folder = _dir.Combine(name);
        var created = await Fleetctl.RunAsync("admin-cert", "create", name, "--out", folder, "--socket", _coordinator.Socket);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var path = Path.Join(folder, $"{name}.crt");
        using var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(path));
        return new Admin(path, Path.Join(folder, $"{name}.key"), certificate.SerialNumber.ToLowerInvariant(),
            "sha256:" + Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }
}

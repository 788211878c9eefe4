using System.Net;
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
}

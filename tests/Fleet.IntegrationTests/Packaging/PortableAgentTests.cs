using System.Diagnostics;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using Fleet.Agent.Enrollment;
using Fleet.Testing;
using Xunit.Abstractions;

namespace Fleet.IntegrationTests.Packaging;

/// <summary>
/// The portable fleet-agent exactly as its armhf .deb ships it: test.sh publishes it
/// (packaging/publish.sh agent portable), packages it (mkdeb.sh agent-portable armhf) and unpacks
/// the package with dpkg-deb into <see cref="Fixtures.PortableDeb"/>. The same files run here on
/// this machine's x86-64 dotnet (through the packaged launcher) and under qemu-aarch64 on a
/// linux-arm64 runtime assembled from Microsoft's runtime pack (tests/fixtures/make-dotnet-root.sh):
/// each enrolls with a real coordinator on loopback and heartbeats. No armv7l run: this machine's feed
/// has no linux-arm runtime pack (README, "armhf"). Emulated JIT is slow, so the bounds are generous
/// and nothing is timed.
/// </summary>
public sealed class PortableAgentTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly List<Process> _agents = [];
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() =>
        _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path, heartbeat: TimeSpan.FromSeconds(1)));

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
                await agent.WaitForExitAsync().DefaultTimeout();
            }

            agent.Dispose();
        }

        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    private static string Deb => Fixtures.Require(Fixtures.PortableDeb);

    private static string Launcher => Path.Join(Deb, "usr/bin/fleet-agent");

    private static string Dll => Path.Join(Deb, "usr/lib/fleet-agent/fleet-agent.dll");

    /// <summary>A field of the package's DEBIAN/control.</summary>
    private static string Control(string field) =>
        File.ReadLines(Path.Join(Deb, "DEBIAN/control")).Single(l => l.StartsWith(field + ": ", StringComparison.Ordinal))[(field.Length + 2)..];

    [Fact]
    public void TheArmhfDeb_HoldsOnlyIL_ForTheNet10Runtime_WithTheOtherPackagesUnitConfigAndScripts()
    {
        var version = File.ReadAllText(Path.Join(Fixtures.RepoRoot, "Directory.Build.props")).Split("<VersionPrefix>")[1].Split('<')[0];
        Assert.Equal(("fleet-agent", "armhf", version), (Control("Package"), Control("Architecture"), Control("Version")));
        Assert.Contains("Microsoft.NETCore.App 10.x", File.ReadAllText(Path.Join(Deb, "DEBIAN/control")));

        // No native code at all: no ELF file, and every assembly is IL only (no ReadyToRun code, no
        // platform-specific machine), so the one build runs on x64, arm64 and arm alike.
        var files = Directory.EnumerateFiles(Deb, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(Path.Join(Deb, "DEBIAN"), StringComparison.Ordinal)).ToList();
        Assert.All(files, f => Assert.False(IsElf(f), $"{f} is an ELF file"));
        var assemblies = files.Where(f => f.EndsWith(".dll", StringComparison.Ordinal)).ToList();
        Assert.Contains(Dll, assemblies);
        Assert.All(assemblies, f =>
        {
            using var pe = new PEReader(File.OpenRead(f));
            var cor = pe.PEHeaders.CorHeader ?? throw new Xunit.Sdk.XunitException($"{f} is not a .NET assembly");
            Assert.True(cor.Flags.HasFlag(CorFlags.ILOnly), $"{f} is not IL only ({cor.Flags})");
            Assert.Equal(0, cor.ManagedNativeHeaderDirectory.Size); // no ReadyToRun (precompiled, per-RID) code
            Assert.False(cor.Flags.HasFlag(CorFlags.Requires32Bit), $"{f} requires a 32-bit process");
            Assert.Equal(Machine.I386, pe.PEHeaders.CoffHeader.Machine); // AnyCPU
        });

        using var runtimeConfig = JsonDocument.Parse(File.ReadAllText(Path.Join(Deb, "usr/lib/fleet-agent/fleet-agent.runtimeconfig.json")));
        var framework = runtimeConfig.RootElement.GetProperty("runtimeOptions").GetProperty("framework");
        Assert.Equal("Microsoft.NETCore.App", framework.Str("name"));
        Assert.StartsWith("10.", framework.Str("version"));

        // The same unit, settings and maintainer scripts as the Native AOT packages; a preinst of its own.
        var packaging = Path.Join(Fixtures.RepoRoot, "packaging");
        Assert.Equal(File.ReadAllText(Path.Join(packaging, "systemd/fleet-agent.service")), File.ReadAllText(Path.Join(Deb, "lib/systemd/system/fleet-agent.service")));
        Assert.Contains("ExecStart=/usr/bin/fleet-agent\n", File.ReadAllText(Path.Join(Deb, "lib/systemd/system/fleet-agent.service")));
        Assert.Equal(File.ReadAllText(Path.Join(packaging, "debian/fleet-agent/agent.json")), File.ReadAllText(Path.Join(Deb, "etc/fleet/agent.json")));
        foreach (var script in new[] { "postinst", "prerm", "postrm", "conffiles" })
        {
            Assert.Equal(File.ReadAllText(Path.Join(packaging, "debian/fleet-agent", script)), File.ReadAllText(Path.Join(Deb, "DEBIAN", script)));
        }

        Assert.Contains("fleet_check_runtime", File.ReadAllText(Path.Join(Deb, "DEBIAN/preinst")));
        Assert.DoesNotContain("@FIND_DOTNET@", File.ReadAllText(Launcher));
        Assert.Contains("fleet_find_dotnet() {", File.ReadAllText(Launcher));
        Assert.True(File.GetUnixFileMode(Launcher).HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public async Task OnThisMachinesDotnet_ThePackagedLauncherRunsTheAgent_WhichEnrollsAndHeartbeats()
    {
        var version = await ProcessRun.RunAsync(Launcher, ["--version"]);
        Assert.True(version.Code == 0, version.Output);
        Assert.StartsWith(Control("Version") + "+", version.Stdout.Trim());

        var node = await EnrollAndRunAsync("portable-x64", Launcher, [], Eventually.Timeout);
        Assert.Equal(("amd64", "x86_64"), (node.Str("arch"), node.Str("rawMachine")));
        Assert.Equal(Control("Version"), node.Str("agentVersion"));
    }

    [Fact]
    public async Task UnderQemuAarch64_TheSameDll_OnALinuxArm64Runtime_EnrollsAndHeartbeats()
    {
        var qemu = new[] { "-L", Fixtures.Require(Fixtures.Sysroot), Path.Join(Fixtures.Require(Fixtures.DotnetArm64), "dotnet"), Dll };
        var runtimes = await ProcessRun.RunAsync("qemu-aarch64", [.. qemu[..3], "--list-runtimes"], TimeSpan.FromMinutes(2));
        Assert.True(runtimes.Code == 0, runtimes.Output);
        Assert.Contains($"[{Path.Join(Fixtures.DotnetArm64, "shared", "Microsoft.NETCore.App")}]", runtimes.Stdout);

        var version = await ProcessRun.RunAsync("qemu-aarch64", [.. qemu, "--version"], TimeSpan.FromMinutes(2));
        Assert.True(version.Code == 0, version.Output);
        Assert.StartsWith(Control("Version") + "+", version.Stdout.Trim());

        // JIT under emulation: bounded like the agent's own enrollment, generously.
        var node = await EnrollAndRunAsync("portable-arm64", "qemu-aarch64", qemu, EnrollmentClient.ConnectDeadline + TimeSpan.FromMinutes(2));
        Assert.Equal(("arm64", "aarch64"), (node.Str("arch"), node.Str("rawMachine")));
        Assert.Equal(Control("Version"), node.Str("agentVersion"));
    }

    /// <summary>
    /// `PROGRAM PREFIX... enroll` with the token on standard input, then `PROGRAM PREFIX...` as the
    /// service would run it; waits until the node is connected and its last seen moves on (heartbeats).
    /// </summary>
    private async Task<JsonElement> EnrollAndRunAsync(string name, string program, string[] prefix, TimeSpan bound)
    {
        var root = _dir.Combine(name);
        Directory.CreateDirectory(root);
        var started = Stopwatch.StartNew();
        var enroll = await ProcessRun.RunWithInputAsync(
            program,
            [.. prefix, "enroll", "--coordinator", _coordinator.AgentUri.ToString(), "--token", "-", "--ca-pin", _coordinator.CaPin, "--name", name, "--root", root],
            await _coordinator.CreateTokenAsync(uses: 1) + "\n",
            bound);
        output.WriteLine($"{name} enrolled in {started.Elapsed.TotalSeconds:0.0} s (exit {enroll.Code})");
        Assert.True(enroll.Code == 0, $"{name} could not enroll: {enroll.Output}");
        Assert.DoesNotContain("warning", enroll.Output, StringComparison.Ordinal);

        // The shell sends the agent's output to a file, so no pipe needs draining; exec keeps one PID.
        var log = _dir.Combine(name + ".log");
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in (string[])["-c", "exec \"$@\" >>\"$FLEET_TEST_LOG\" 2>&1", "sh", program, .. prefix, "--coordinator", _coordinator.AgentUri.ToString(), "--name", name, "--root", root])
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FLEET_TEST_LOG"] = log;
        var agent = Process.Start(start)!;
        _agents.Add(agent);
        string Log() => File.Exists(log) ? File.ReadAllText(log) : "(no log)";

        var nodes = await Eventually.Until(
            () => Fleetctl.NodesAsync(_coordinator.Socket),
            n => n.Any(x => x.Str("name") == name && x.GetProperty("connected").GetBoolean()) || agent.HasExited,
            $"{name} connects",
            bound);
        Assert.False(agent.HasExited, $"{name} exited: {Log()}");
        var first = nodes.Single(x => x.Str("name") == name).GetProperty("lastSeen").GetDateTimeOffset();
        nodes = await Eventually.Until(
            () => Fleetctl.NodesAsync(_coordinator.Socket),
            n => n.Single(x => x.Str("name") == name).GetProperty("lastSeen").GetDateTimeOffset() > first || agent.HasExited,
            $"{name} heartbeats (its last seen moves on)",
            bound);
        Assert.False(agent.HasExited, $"{name} exited: {Log()}");
        output.WriteLine($"{name} connected and heartbeating after {started.Elapsed.TotalSeconds:0.0} s");
        return nodes.Single(x => x.Str("name") == name);
    }

    private static bool IsElf(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return file.Read(magic) == 4 && magic.SequenceEqual("\u007fELF"u8);
    }
}

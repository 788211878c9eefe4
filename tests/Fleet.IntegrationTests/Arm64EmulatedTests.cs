using System.Diagnostics;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Steps;
using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Control;
using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Rollouts;
using Fleet.Testing;
using Fleet.V1;
using Xunit.Abstractions;

namespace Fleet.IntegrationTests;

/// <summary>
/// A linux-arm64 fleet-agent, built as its package ships it (Native AOT, cross-compiled by
/// packaging/publish.sh, called from test.sh), running under qemu-aarch64 with an arm64 sysroot beside
/// an x86-64 agent: each installs its own architecture's CNI plugins and kubectl from the same catalog.
/// Emulated, so few and coarse. AOT code runs translated, not JIT-compiled under emulation, so it
/// starts in about half a second and enrolls within the default bound even on a loaded machine.
/// </summary>
public sealed class Arm64EmulatedTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;
    private ArtifactServer _artifacts = null!;
    private TestAgent _x86 = null!;
    private Process? _arm64;

    public async Task InitializeAsync()
    {
        _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path, heartbeat: TimeSpan.FromSeconds(1)));
        _artifacts = await ArtifactServer.StartAsync(Fixtures.Require(Fixtures.Artifacts));
        _x86 = new TestAgent("x86-1", _coordinator.AgentUri, _dir.Combine("x86-1"));
        await _x86.EnrollAsync(await _coordinator.CreateTokenAsync(uses: 1), _coordinator.CaPin);
        await _x86.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_arm64 is { HasExited: false })
        {
            _arm64.Kill(entireProcessTree: true);
            await _arm64.WaitForExitAsync().DefaultTimeout();
        }

        _arm64?.Dispose();
        await _x86.DisposeAsync();
        await _artifacts.DisposeAsync();
        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    private string ArmRoot => _dir.Combine("pi-arm64");

    private string ArmLog => _dir.Combine("pi-arm64.log");

    /// <summary>The published arm64 fleet-agent under qemu: `enroll` (CA pinned, key made by the arm64 process), then run.</summary>
    private async Task StartArm64AgentAsync()
    {
        Directory.CreateDirectory(ArmRoot);
        // Bounded like the agent's own enrollment (it retries a connection it could not make, as a busy
        // board may), not by the default test timeout: emulated TLS on a loaded machine is slow, and
        // the time it took is printed, so a real slowness shows. The token on standard input, as the README says.
        var started = Stopwatch.StartNew();
        var enroll = await ProcessRun.RunWithInputAsync(
            "qemu-aarch64",
            [
                "-L", Fixtures.Require(Fixtures.Sysroot), Fixtures.Require(Fixtures.Arm64Agent), "enroll",
                "--coordinator", _coordinator.AgentUri.ToString(), "--token", "-", "--ca-pin", _coordinator.CaPin,
                "--name", "pi-arm64", "--root", ArmRoot,
            ],
            await _coordinator.CreateTokenAsync(uses: 1) + "\n",
            EnrollmentClient.ConnectDeadline + TimeSpan.FromSeconds(30));
        output.WriteLine($"the emulated arm64 agent enrolled in {started.Elapsed.TotalSeconds:0.0} s (exit {enroll.Code})");
        Assert.DoesNotContain("warning", enroll.Output, StringComparison.Ordinal);
        Assert.True(enroll.Code == 0, $"the arm64 agent could not enroll: {enroll.Output}");

        // The shell sends the agent's output to a file, so no pipe needs draining; exec keeps one PID.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        string[] args =
        [
            "-c", "exec qemu-aarch64 -L \"$0\" \"$@\" >>\"$FLEET_TEST_LOG\" 2>&1",
            Fixtures.Require(Fixtures.Sysroot), Fixtures.Require(Fixtures.Arm64Agent),
            "--coordinator", _coordinator.AgentUri.ToString(), "--name", "pi-arm64", "--root", ArmRoot,
        ];
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FLEET_TEST_LOG"] = ArmLog;
        _arm64 = Process.Start(start)!;
    }

    private string Log() => File.Exists(ArmLog) ? File.ReadAllText(ArmLog) : "(no log)";

    [Fact]
    public async Task Arm64AgentUnderQemu_InstallsArm64PluginsAndKubectl_BesideAnAmd64Agent()
    {
        await StartArm64AgentAsync();
        var nodes = await Eventually.Until(
            () => Fleetctl.NodesAsync(_coordinator.Socket),
            n => n.Count == 2 && n.All(x => x.GetProperty("connected").GetBoolean()) || _arm64!.HasExited,
            "the emulated arm64 agent connects",
            TimeSpan.FromSeconds(90));
        Assert.False(_arm64!.HasExited, $"the arm64 agent exited: {Log()}");
        var pi = nodes.Single(n => n.Str("name") == "pi-arm64");
        Assert.Equal(("arm64", "aarch64"), (pi.Str("arch"), pi.Str("rawMachine")));
        Assert.Equal("amd64", nodes.Single(n => n.Str("name") == "x86-1").Str("arch"));

        var catalog = _dir.Combine("catalog.yaml");
        await File.WriteAllTextAsync(catalog, Fixtures.Catalog(_artifacts.BaseUrl));
        Assert.Equal(0, (await Fleetctl.RunAsync("catalog", "apply", "-f", catalog, "--socket", _coordinator.Socket)).ExitCode);

        var cni = await Fleetctl.RunAsync("run", "install-cni", "--version", Fixtures.CniVersion, "--timeout", "3m", "--socket", _coordinator.Socket);
        Assert.True(cni.ExitCode == 0, $"{cni.Stdout}{cni.Stderr}\nagent log:\n{Log()}");
        Assert.Contains($"pi-arm64 (arm64): {_artifacts.BaseUrl}/files/{Fixtures.CniTarball("arm64")}", cni.Stdout);
        Assert.Contains($"x86-1 (amd64): {_artifacts.BaseUrl}/files/{Fixtures.CniTarball("amd64")}", cni.Stdout);
        foreach (var plugin in new[] { "loopback", "portmap", "bridge", "host-local" })
        {
            Assert.Equal(ElfMachine.AArch64, ElfMachine.Read(Path.Join(ArmRoot, "opt/cni/bin", plugin)));
            Assert.Equal(ElfMachine.X86_64, ElfMachine.Read(Path.Join(_x86.Root, "opt/cni/bin", plugin)));
        }

        var kubectl = await Fleetctl.RunAsync("run", "download", "--component", "kubectl", "--version", Fixtures.KubectlVersion, "--dest", "/usr/local/bin/kubectl", "--timeout", "3m", "--socket", _coordinator.Socket);
        Assert.True(kubectl.ExitCode == 0, $"{kubectl.Stdout}{kubectl.Stderr}\nagent log:\n{Log()}");
        var armKubectl = Path.Join(ArmRoot, "usr/local/bin/kubectl");
        Assert.Equal(ElfMachine.AArch64, ElfMachine.Read(armKubectl));
        var (armCode, armVersion) = await ArtifactTests.RunProcessAsync("qemu-aarch64", "-L", Fixtures.Sysroot, armKubectl, "version", "--client");
        Assert.Equal(0, armCode);
        Assert.Contains("linux/arm64", armVersion);
        var (x86Code, x86Version) = await ArtifactTests.RunProcessAsync(Path.Join(_x86.Root, "usr/local/bin/kubectl"), "version", "--client");
        Assert.Equal(0, x86Code);
        Assert.Contains("linux/amd64", x86Version);

        // The arm64 node now reports its plugins, found in its own /opt/cni/bin.
        await Eventually.Until(
            () => Fleetctl.NodesAsync(_coordinator.Socket),
            n => n.Single(x => x.Str("name") == "pi-arm64").GetProperty("checks").EnumerateArray().Any(c => c.Str("name") == "cni-plugins" && c.Str("status") == "ok"),
            "pi-arm64 reports its CNI plugins healthy",
            TimeSpan.FromSeconds(60));
    }

    /// <summary>No linux-arm .NET runtime here, so for 32-bit ARM: what can be checked without running an agent.</summary>
    [Fact]
    public async Task Arm32_TarballHoldsArmBinaries_AndAnArmNodeResolvesToIt()
    {
        var staging = _dir.Combine("arm-plugins");
        var plugins = await SafeTarExtractor.ExtractAsync(Path.Join(Fixtures.Artifacts, Fixtures.CniTarball("arm")), staging, 1L << 30, CancellationToken.None);
        Assert.Contains("loopback", plugins);
        Assert.All(plugins, p => Assert.Equal(ElfMachine.Arm, ElfMachine.Read(Path.Join(staging, p))));
        Assert.Equal(ElfMachine.Arm, ElfMachine.Read(Path.Join(Fixtures.Artifacts, Fixtures.Kubectl("arm"))));

        var (catalog, problems) = CatalogParser.Parse(Fixtures.Catalog(_artifacts.BaseUrl));
        Assert.Empty(problems);
        var odroid = new NodeRecord("id", "odroid-1", new NodeFacts { NodeName = "odroid-1", Arch = Arch.Arm, RawMachine = "armv7l" }, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
        var (plan, runProblems) = RunStepPlan.From(new RunStepRequest { InstallCni = new RunInstallCni { Version = Fixtures.CniVersion } });
        Assert.Empty(runProblems);
        var (nodes, planProblems) = PlanExpander.Expand(plan!, [odroid], catalog!, ClusterView.None, KubeNodeNames.Resolve([odroid], []));
        Assert.Empty(planProblems);
        var request = Assert.IsType<NodeStep.InstallCni>(nodes.Single().Steps.Single()).ToRequest("r");
        Assert.Equal($"{_artifacts.BaseUrl}/files/{Fixtures.CniTarball("arm")}", request.InstallCniPlugins.Url);
        Assert.Equal(Fixtures.Sha256(Fixtures.CniTarball("arm")), request.InstallCniPlugins.Sha256);
    }
}

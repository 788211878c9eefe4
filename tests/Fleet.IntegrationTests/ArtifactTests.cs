using System.Diagnostics;
using Fleet.Agent.Steps;
using Fleet.Testing;

namespace Fleet.IntegrationTests;

/// <summary>
/// The artifact path end to end on this machine: a real coordinator, real agents, fleetctl, a real
/// HTTP server with Debian's multi-arch CNI plugins and kubectl, real archives and real binaries.
/// </summary>
public sealed class ArtifactTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly List<TestAgent> _agents = [];
    private TestCoordinator _coordinator = null!;
    private ArtifactServer _artifacts = null!;

    public async Task InitializeAsync()
    {
        _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        _artifacts = await ArtifactServer.StartAsync(Fixtures.Require(Fixtures.Artifacts));
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await _artifacts.DisposeAsync();
        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<TestAgent> AgentAsync(string name, string? machine = null)
    {
        var agent = new TestAgent(name, _coordinator.AgentUri, _dir.Combine(name)) { Machine = machine };
        _agents.Add(agent);
        await agent.EnrollAsync(await _coordinator.CreateTokenAsync(uses: 1), _coordinator.CaPin);
        await agent.StartAsync();
        await Eventually.Until(async () => (await Fleetctl.NodesAsync(_coordinator.Socket)).Any(n => n.Str("name") == name && n.GetProperty("connected").GetBoolean()), ok => ok, $"{name} is connected");
        return agent;
    }

    private async Task ApplyCatalogAsync(string yaml)
    {
        var file = _dir.Combine($"catalog-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml);
        var result = await Fleetctl.RunAsync("catalog", "apply", "-f", file, "--socket", _coordinator.Socket);
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    private Task<Fleetctl.Result> RunAsync(params string[] args) => Fleetctl.RunAsync([.. args, "--socket", _coordinator.Socket]);

    [Fact]
    public async Task InstallCni_OnAnAmd64Node_InstallsTheAmd64PluginsAndHealthTurnsOk()
    {
        var agent = await AgentAsync("x86-1");
        await ApplyCatalogAsync(Fixtures.Catalog(_artifacts.BaseUrl));

        var run = await RunAsync("run", "install-cni", "--version", Fixtures.CniVersion);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains($"cni-plugins-linux-amd64-{Fixtures.CniVersion}.tgz", run.Stdout);
        Assert.Contains("succeeded", run.Stdout);
        var bin = Path.Join(agent.Root, "opt/cni/bin");
        foreach (var plugin in new[] { "loopback", "portmap", "bridge", "host-local" })
        {
            Assert.Equal(ElfMachine.X86_64, ElfMachine.Read(Path.Join(bin, plugin)));
        }

        Assert.Empty(Directory.GetFileSystemEntries(Path.Join(agent.Root, "opt/cni"), ".fleet-*"));
        await Eventually.Until(
            () => Fleetctl.NodesAsync(_coordinator.Socket),
            n => n.Single().GetProperty("checks").EnumerateArray().Any(c => c.Str("name") == "cni-plugins" && c.Str("status") == "ok")
                && n.Single().GetProperty("cniPlugins").EnumerateArray().Any(p => p.GetString() == "portmap"),
            "the node reports its CNI plugins healthy and present");

        var again = await RunAsync("run", "install-cni", "--version", Fixtures.CniVersion);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already satisfied", again.Stdout);
    }

    [Fact]
    public async Task DownloadKubectl_OnAnAmd64Node_RunsAndSaysLinuxAmd64()
    {
        var agent = await AgentAsync("x86-1");
        await ApplyCatalogAsync(Fixtures.Catalog(_artifacts.BaseUrl));

        var run = await RunAsync("run", "download", "--component", "kubectl", "--version", Fixtures.KubectlVersion, "--dest", "/usr/local/bin/kubectl");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var kubectl = Path.Join(agent.Root, "usr/local/bin/kubectl");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, File.GetUnixFileMode(kubectl));
        var (code, output) = await RunProcessAsync(kubectl, "version", "--client");
        Assert.Equal(0, code);
        Assert.Contains("linux/amd64", output);
    }

    [Fact]
    public async Task Arm64UrlServingTheAmd64File_IsRefusedByTheElfCheckEvenWithAMatchingChecksum()
    {
        var pi = await AgentAsync("pi-1", machine: "aarch64");
        var amd64 = Fixtures.Kubectl("amd64");
        await ApplyCatalogAsync(Fixtures.Catalog(_artifacts.BaseUrl, kubectlOverrides: new() { ["arm64"] = (amd64, Fixtures.Sha256(amd64)) }));

        var run = await RunAsync("run", "download", "--component", "kubectl", "--version", Fixtures.KubectlVersion, "--dest", "/usr/local/bin/kubectl");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("kubectl is built for x86-64, but this node is arm64 (AArch64); refusing to install it", run.Stdout);
        Assert.Contains("1 of 1 nodes failed", run.Stderr);
        Assert.False(File.Exists(Path.Join(pi.Root, "usr/local/bin/kubectl")));
        Assert.Empty(Directory.GetFiles(Path.Join(pi.Root, "usr/local/bin"), "*.part", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Run_OnANodeHeldByAnUnfinishedRollout_OrWithADotDotDest_IsRefusedBeforeAnythingIsSent()
    {
        // fleetctl run asks the rollout preflight's own questions (TargetChecks, NodePath).
        var agent = await AgentAsync("x86-1");
        await ApplyCatalogAsync(Fixtures.Catalog(_artifacts.BaseUrl, kubectlOverrides: new() { ["amd64"] = (Fixtures.Kubectl("amd64"), new string('a', 64)) }));
        var plan = _dir.Combine("held.yaml");
        await File.WriteAllTextAsync(plan, $"target: {{ names: [x86-1] }}\nsteps:\n  - download: {{ component: kubectl, version: {Fixtures.KubectlVersion}, dest: /usr/local/bin/kubectl }}\n");
        var applied = await RunAsync("rollout", "apply", "-f", plan);
        Assert.True(applied.ExitCode == 0, applied.Stderr);
        var id = System.Text.RegularExpressions.Regex.Match(applied.Stdout, "rollout (\\S+) started").Groups[1].Value;
        await Eventually.Until(() => RunAsync("rollout", "get", id, "-o", "json"), r => r.Stdout.Contains("\"state\": \"paused\"", StringComparison.Ordinal), "the rollout pauses on its checksum failure");
        await ApplyCatalogAsync(Fixtures.Catalog(_artifacts.BaseUrl));
        var requestsBefore = _artifacts.Requests($"/files/{Fixtures.Kubectl("amd64")}");

        var held = await RunAsync("run", "download", "--component", "kubectl", "--version", Fixtures.KubectlVersion, "--dest", "/usr/local/bin/kubectl");
        var dots = await RunAsync("run", "download", "--component", "kubectl", "--version", Fixtures.KubectlVersion, "--dest", "/usr/local/bin/../../../etc/kubectl");
        var cniDots = await RunAsync("run", "install-cni", "--version", Fixtures.CniVersion, "--dest-dir", "/opt/cni/../../etc");

        Assert.Equal(1, held.ExitCode);
        Assert.Contains($"held by rollout {id}, which has not finished: x86-1", held.Stderr);
        Assert.Contains("nothing was sent", held.Stderr);
        Assert.Equal(1, dots.ExitCode);
        Assert.Contains("download.dest: \"/usr/local/bin/../../../etc/kubectl\" must be an absolute path without \"..\"", dots.Stderr);
        Assert.Equal(1, cniDots.ExitCode);
        Assert.Contains("install-cni.destDir: \"/opt/cni/../../etc\" must be an absolute path without \"..\"", cniDots.Stderr);
        Assert.Equal(requestsBefore, _artifacts.Requests($"/files/{Fixtures.Kubectl("amd64")}"));
        Assert.False(File.Exists(Path.Join(agent.Root, "usr/local/bin/kubectl")));
        Assert.False(File.Exists(Path.Join(agent.Root, "etc/kubectl")));
    }

    [Fact]
    public async Task CatalogWithoutTheNodesArch_IsRefusedBeforeAnythingIsSent()
    {
        await AgentAsync("x86-1");
        await AgentAsync("x86-2");
        await ApplyCatalogAsync(Fixtures.Catalog(_artifacts.BaseUrl, kubectlArches: ["arm64", "arm"]));

        var run = await RunAsync("run", "download", "--component", "kubectl", "--version", Fixtures.KubectlVersion, "--dest", "/usr/local/bin/kubectl");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"kubectl {Fixtures.KubectlVersion} has no amd64 build: x86-1, x86-2", run.Stderr);
        Assert.Contains("nothing was sent", run.Stderr);
        Assert.Equal(0, _artifacts.Requests($"/files/{Fixtures.Kubectl("amd64")}"));
    }

    [Fact]
    public async Task ArtifactThatIsGone_FailsTheNodeWithTheHttpStatus()
    {
        var agent = await AgentAsync("x86-1");
        var catalog = Fixtures.Catalog(_artifacts.BaseUrl).Replace("/files/kubectl/", "/files/missing/", StringComparison.Ordinal);
        await ApplyCatalogAsync(catalog);

        var run = await RunAsync("run", "download", "--component", "kubectl", "--version", Fixtures.KubectlVersion, "--dest", "/usr/local/bin/kubectl");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("HTTP 404", run.Stdout);
        Assert.False(File.Exists(Path.Join(agent.Root, "usr/local/bin/kubectl")));
    }

    [Theory]
    [InlineData("dotdot", "climbs out with \"..\"")]
    [InlineData("absolute", "has an absolute path")]
    [InlineData("symlink-escape", "outside the target")]
    [InlineData("device", "is a device or FIFO")]
    public async Task HostileTarball_IsRefusedAndTheNodeIsUntouched(string name, string expected)
    {
        var agent = await AgentAsync("x86-1");
        var hostile = $"hostile/{name}.tgz";
        var catalog = Fixtures.Catalog(_artifacts.BaseUrl).Replace(
            $"amd64: {{ sha256: {Fixtures.Sha256(Fixtures.CniTarball("amd64"))} }}",
            $"amd64: {{ url: \"{_artifacts.BaseUrl}/files/{hostile}\", sha256: {Fixtures.Sha256(hostile)} }}",
            StringComparison.Ordinal);
        await ApplyCatalogAsync(catalog);

        var run = await RunAsync("run", "install-cni", "--version", Fixtures.CniVersion);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(expected, run.Stdout);
        var cni = Path.Join(agent.Root, "opt/cni");
        Assert.True(!Directory.Exists(cni) || Directory.GetFileSystemEntries(cni, "*", SearchOption.AllDirectories).Length == 0, "nothing is left in /opt/cni");
        Assert.Empty(Directory.GetFileSystemEntries(agent.Root, "escaped", SearchOption.AllDirectories));
        Assert.False(File.Exists("/etc/fleet-absolute"));
    }

    [Fact]
    public async Task InvalidCatalog_IsRefusedAndTheStoredOneStays()
    {
        await ApplyCatalogAsync(Fixtures.Catalog(_artifacts.BaseUrl));
        var bad = _dir.Combine("bad.yaml");
        await File.WriteAllTextAsync(bad, Fixtures.Catalog(_artifacts.BaseUrl).Replace("arm: { sha256: ", "arm: { sha256: zz", StringComparison.Ordinal));

        var apply = await Fleetctl.RunAsync("catalog", "apply", "-f", bad, "--socket", _coordinator.Socket);
        var get = await Fleetctl.RunAsync("catalog", "get", "-o", "json", "--socket", _coordinator.Socket);

        Assert.Equal(1, apply.ExitCode);
        Assert.Contains($"components.cni-plugins.versions.{Fixtures.CniVersion}.arm.sha256: not 64 hex characters", apply.Stderr);
        Assert.Contains($"components.kubectl.versions.{Fixtures.KubectlVersion}.arm.sha256: not 64 hex characters", apply.Stderr);
        Assert.Equal(0, get.ExitCode);
        Assert.Contains(Fixtures.Sha256(Fixtures.CniTarball("arm")), get.Stdout);
    }

    internal static async Task<(int Code, string Output)> RunProcessAsync(string file, params string[] args)
    {
        var run = await ProcessRun.RunAsync(file, args);
        return (run.Code, run.Output);
    }
}

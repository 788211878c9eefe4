using Fleet.Testing;

namespace Fleet.IntegrationTests.Packaging;

/// <summary>
/// The portable armhf .deb's runtime check (DEBIAN/preinst) and launcher (/usr/bin/fleet-agent), as
/// packaged (test.sh unpacks the .deb into <see cref="Fixtures.PortableDeb"/>), run by /bin/sh with an
/// environment of nothing but the tools they use. Each runs in a private mount namespace whose /etc is an
/// overlay of the host's, so /etc/dotnet (the registered install location) is what the test says and
/// the host's stays untouched. The happy paths use this machine's real .NET; the refusals use a
/// missing one, a DOTNET_ROOT or install location without it, and stand-in `dotnet` scripts that list
/// only a .NET 8 runtime or fail.
/// </summary>
public sealed class PortableAgentScriptsTests : IDisposable
{
    private static readonly string[] Tools = ["sh", "sed", "grep", "tr", "head", "uname", "readlink", "dirname", "cat"];
    private readonly TempDir _dir = new();

    public PortableAgentScriptsTests()
    {
        Directory.CreateDirectory(ToolsDir);
        foreach (var tool in Tools)
        {
            File.CreateSymbolicLink(Path.Join(ToolsDir, tool), Which(tool));
        }

        Directory.CreateDirectory(RealDotnetDir);
        File.CreateSymbolicLink(Path.Join(RealDotnetDir, "dotnet"), RealDotnet);
    }

    public void Dispose() => _dir.Dispose();

    private static string Deb => Fixtures.Require(Fixtures.PortableDeb);

    private static string Preinst => Path.Join(Deb, "DEBIAN/preinst");

    private static string Launcher => Path.Join(Deb, "usr/bin/fleet-agent");

    /// <summary>This machine's dotnet (the .NET 10 SDK's muxer), resolved through its links.</summary>
    private static string RealDotnet => new FileInfo(Which("dotnet")).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Which("dotnet");

    private static string RealDotnetRoot => Path.GetDirectoryName(RealDotnet)!;

    /// <summary>The tools the scripts use, and nothing else (no dotnet).</summary>
    private string ToolsDir => _dir.Combine("tools");

    /// <summary>A folder with only `dotnet`, linked to this machine's.</summary>
    private string RealDotnetDir => _dir.Combine("real-dotnet");

    [Fact]
    public async Task Preinst_Installs_WithTheMachinesDotnetOnPath()
    {
        var run = await RunAsync(Preinst, ["install"], $"{RealDotnetDir}:{ToolsDir}");
        Assert.True(run.Code == 0, run.Output);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task Preinst_Upgrades_WithDotnetRoot()
    {
        var run = await RunAsync(Preinst, ["upgrade", "0.1.0"], ToolsDir, environment: [$"DOTNET_ROOT={RealDotnetRoot}"]);
        Assert.True(run.Code == 0, run.Output);
    }

    [Fact]
    public async Task Preinst_AndLauncher_FindTheRuntimeThroughTheRegisteredInstallLocation()
    {
        var preinst = await RunAsync(Preinst, ["install"], ToolsDir, installLocation: RealDotnetRoot);
        Assert.True(preinst.Code == 0, preinst.Output);

        var launcher = await RunAsync(Launcher, ["--version"], ToolsDir, installLocation: RealDotnetRoot);
        Assert.True(launcher.Code == 0, launcher.Output);
        Assert.StartsWith(Control("Version") + "+", launcher.Stdout.Trim());
    }

    [Fact]
    public async Task Preinst_RefusesToInstall_WhenNoDotnetIsFound()
    {
        var run = await RunAsync(Preinst, ["install"], ToolsDir);
        Assert.Equal(1, run.Code);
        Assert.Contains($"fleet-agent: cannot install: no dotnet found: DOTNET_ROOT is not set, there is no dotnet on PATH ({ToolsDir}) and no /etc/dotnet/install_location.", run.Stderr);
        Assert.Contains("the .NET 10 runtime", run.Stderr);
        Assert.Contains("/etc/dotnet/install_location", run.Stderr);
    }

    [Fact]
    public async Task Preinst_RefusesToUpgrade_WhenNoDotnetIsFound()
    {
        var run = await RunAsync(Preinst, ["upgrade", "0.1.0"], ToolsDir);
        Assert.Equal(1, run.Code);
        Assert.Contains("fleet-agent: cannot install: no dotnet found", run.Stderr);
    }

    [Fact]
    public async Task Preinst_Refuses_ADotnetRootWithoutDotnet_EvenWithOneOnPath()
    {
        var empty = _dir.Combine("empty-root");
        Directory.CreateDirectory(empty);
        var run = await RunAsync(Preinst, ["install"], $"{RealDotnetDir}:{ToolsDir}", environment: [$"DOTNET_ROOT={empty}"]);
        Assert.Equal(1, run.Code);
        Assert.Contains($"fleet-agent: cannot install: DOTNET_ROOT is {empty}, which holds no executable dotnet.", run.Stderr);
    }

    [Fact]
    public async Task Preinst_Refuses_AnInstallLocationWithoutDotnet()
    {
        var run = await RunAsync(Preinst, ["install"], ToolsDir, installLocation: _dir.Combine("nowhere"));
        Assert.Equal(1, run.Code);
        Assert.Contains($"fleet-agent: cannot install: /etc/dotnet/install_location names {_dir.Combine("nowhere")}, which holds no executable dotnet.", run.Stderr);
    }

    [Fact]
    public async Task Preinst_Refuses_ADotnetWithoutA10Runtime_NamingTheOnesItHas()
    {
        var fake = FakeDotnet("net8", "echo 'Microsoft.AspNetCore.App 10.0.12 [/opt/dotnet/shared/Microsoft.AspNetCore.App]'\necho 'Microsoft.NETCore.App 8.0.11 [/opt/dotnet/shared/Microsoft.NETCore.App]'\necho 'Microsoft.NETCore.App 9.0.4 [/opt/dotnet/shared/Microsoft.NETCore.App]'");
        var run = await RunAsync(Preinst, ["install"], $"{fake}:{ToolsDir}");
        Assert.Equal(1, run.Code);
        Assert.Contains($"fleet-agent: cannot install: {fake}/dotnet has no Microsoft.NETCore.App 10.x runtime (it has: 8.0.11 9.0.4).", run.Stderr);
    }

    [Fact]
    public async Task Preinst_Refuses_ADotnetWithNoRuntimeAtAll()
    {
        var fake = FakeDotnet("none", "exit 0");
        var run = await RunAsync(Preinst, ["install"], $"{fake}:{ToolsDir}");
        Assert.Equal(1, run.Code);
        Assert.Contains($"{fake}/dotnet has no Microsoft.NETCore.App 10.x runtime (it has: none).", run.Stderr);
    }

    [Fact]
    public async Task Preinst_Refuses_ADotnetThatCannotListItsRuntimes()
    {
        var fake = FakeDotnet("broken", "echo 'cannot execute: wrong architecture' >&2\nexit 126");
        var run = await RunAsync(Preinst, ["install"], $"{fake}:{ToolsDir}");
        Assert.Equal(1, run.Code);
        Assert.Contains($"fleet-agent: cannot install: {fake}/dotnet --list-runtimes failed: cannot execute: wrong architecture.", run.Stderr);
    }

    [Fact]
    public async Task Preinst_DoesNotCheck_WhenDpkgUndoesAFailedUpgrade()
    {
        // abort-upgrade runs the old package's preinst after a new one failed: it must not fail too.
        var run = await RunAsync(Preinst, ["abort-upgrade", "0.1.1"], ToolsDir);
        Assert.True(run.Code == 0, run.Output);
    }

    [Fact]
    public async Task Launcher_WithoutDotnet_Exits2_SayingWhatIsMissing()
    {
        // 2: fleet-agent.service does not restart on it (RestartPreventExitStatus=2 77).
        var run = await RunAsync(Launcher, ["--version"], ToolsDir);
        Assert.Equal(2, run.Code);
        Assert.Contains("no dotnet found", run.Stderr);
        Assert.Contains("fleet-agent: cannot start: the portable fleet-agent needs the .NET 10 runtime", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task Launcher_WithABrokenDotnetRoot_Exits2()
    {
        var run = await RunAsync(Launcher, ["--version"], $"{RealDotnetDir}:{ToolsDir}", environment: [$"DOTNET_ROOT={_dir.Combine("gone")}"]);
        Assert.Equal(2, run.Code);
        Assert.Contains($"DOTNET_ROOT is {_dir.Combine("gone")}, which holds no executable dotnet", run.Stderr);
    }

    /// <summary>A folder holding a stand-in `dotnet` script whose --list-runtimes runs <paramref name="body"/>.</summary>
    private string FakeDotnet(string name, string body)
    {
        var dir = _dir.Combine("fake-" + name);
        Directory.CreateDirectory(dir);
        var path = Path.Join(dir, "dotnet");
        File.WriteAllText(path, $"#!{Path.Join(ToolsDir, "sh")}\n[ \"$1\" = --list-runtimes ] || exit 99\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return dir;
    }

    /// <summary>
    /// /bin/sh SCRIPT ARGS with only PATH=<paramref name="path"/> and <paramref name="environment"/>, in
    /// a mount namespace where /etc/dotnet is absent or holds install_location naming <paramref name="installLocation"/>.
    /// </summary>
    private async Task<ProcessOutput> RunAsync(string script, string[] args, string path, string? installLocation = null, string[]? environment = null)
    {
        var upper = _dir.Combine("etc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Join(upper, "upper"));
        Directory.CreateDirectory(Path.Join(upper, "work"));
        const string Setup =
            "mount -t overlay overlay -o \"lowerdir=/etc,upperdir=$0/upper,workdir=$0/work\" /etc || exit 90; " +
            "rm -rf /etc/dotnet; " +
            "if [ -n \"$FLEET_TEST_LOCATION\" ]; then mkdir /etc/dotnet && echo \"$FLEET_TEST_LOCATION\" >/etc/dotnet/install_location; fi; " +
            "exec \"$@\"";
        return await ProcessRun.RunAsync(
            "unshare",
            ["--mount", "--propagation", "private", "/bin/sh", "-c", Setup, upper, "/usr/bin/env", "-i", $"PATH={path}", .. environment ?? [], "/bin/sh", script, .. args],
            new Dictionary<string, string> { ["FLEET_TEST_LOCATION"] = installLocation ?? "" });
    }

    private static string Control(string field) =>
        File.ReadLines(Path.Join(Deb, "DEBIAN/control")).Single(l => l.StartsWith(field + ": ", StringComparison.Ordinal))[(field.Length + 2)..];

    private static string Which(string tool) =>
        new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" }.Select(d => Path.Join(d, tool)).FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException($"{tool} is not in /usr/bin, /bin, /usr/sbin or /sbin");
}

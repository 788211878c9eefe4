using System.Diagnostics;
using Fleet.Testing;

namespace Fleet.IntegrationTests;

/// <summary>
/// The control socket is the control API's credential: fleetctl run as another user, outside the
/// socket's group, is refused by the kernel; in the group, it gets in. Runs fleetctl as its own
/// process under setpriv, so it needs root (as test.sh and CI run); otherwise it checks the mode bits only.
/// </summary>
public sealed class ControlSocketAccessTests : IAsyncLifetime
{
    private const string Nobody = "65534";
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync()
    {
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101); // others may reach the socket file; its own mode decides
        _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Fleetctl_AsAnotherUser_IsRefusedUnlessInTheSocketsGroup()
    {
        Assert.Equal((UnixFileMode)0b110_110_000, File.GetUnixFileMode(_coordinator.Socket));
        if (Environment.UserName != "root")
        {
            return; // setpriv needs root; the mode above is what the kernel enforces
        }

        var outsider = await RunAsAsync(["--clear-groups"]);
        Assert.Equal(1, outsider.Code);
        Assert.Equal($"fleetctl: cannot reach the coordinator at {_coordinator.Socket}: permission denied (fleetctl needs root or the fleet group) (is fleet-coordinator running? --socket)\n", outsider.Stderr);

        var member = await RunAsAsync(["--groups", (await GroupOfSocketAsync()).ToString()]);
        Assert.True(member.Code == 0, member.Stderr);
        Assert.Contains("No nodes.", member.Stdout);
    }

    private async Task<int> GroupOfSocketAsync()
    {
        var stat = await RunAsync("stat", ["-c", "%g", _coordinator.Socket]);
        return int.Parse(stat.Stdout.Trim());
    }

    private Task<(int Code, string Stdout, string Stderr)> RunAsAsync(string[] groups) =>
        RunAsync("setpriv", ["--reuid", Nobody, "--regid", Nobody, .. groups, "--", "dotnet", CtlDll(), "nodes", "list", "--socket", _coordinator.Socket]);

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string program, string[] args)
    {
        var run = await ProcessRun.RunAsync(program, args);
        return (run.Code, run.Stdout, run.Stderr);
    }

    /// <summary>fleetctl.dll in its own build output (this test folder resolves ASP.NET Core's assemblies differently).</summary>
    private static string CtlDll() => Repo.BuildOutput("coordinator/Fleet.Ctl", "fleetctl.dll");
}

using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.Testing;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>
/// The packaged watchdog in binary mode (mode=binary, base=BASE: an agent installed side by side) run
/// for real under sh on a real BASE/versions layout with a real BASE/current symlink; systemctl is the
/// double of <see cref="UpgradeDoubles"/> (a restart while BASE/current points at the new version
/// "connects" it when the test says so).
/// </summary>
public sealed class UpgradeWatchdogBinaryModeTests : IDisposable
{
    private static readonly string Script = Path.Join(Repo.Root, "packaging/debian/fleet-agent/fleet-agent-upgrade");
    private readonly TempDir _dir = new();
    private readonly UpgradeDoubles _doubles = new();
    private readonly string _state;
    private readonly string _upgrade;
    private readonly string _base;

    public UpgradeWatchdogBinaryModeTests()
    {
        _state = _dir.Combine("var/lib/fleet-agent");
        _upgrade = Path.Join(_state, "agent-upgrade");
        _base = _dir.Combine("opt/fleet-agent");
        Directory.CreateDirectory(_upgrade);
        foreach (var version in new[] { "0.8.0", "0.9.0", "0.9.1" })
        {
            Directory.CreateDirectory(Path.Join(_base, "versions", version));
            File.WriteAllText(Path.Join(_base, "versions", version, "fleet-agent"), version);
        }

        File.CreateSymbolicLink(Path.Join(_base, "current"), "versions/0.9.0");
        _doubles.Set("restart.base", _base);
        WritePending(Pending(deadline: 1));
    }

    private string Outcome => File.ReadAllText(Path.Join(_upgrade, "outcome"));

    private string Current => new FileInfo(Path.Join(_base, "current")).LinkTarget ?? "(not a link)";

    private string[] Versions => Directory.GetFileSystemEntries(Path.Join(_base, "versions")).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Run_NewAgentConfirms_SwitchedAndRestarted_OutcomeConfirmed_OtherVersionsRemoved()
    {
        WritePending(Pending(deadline: 30));
        _doubles.Set("restart.confirm", $"{_state} 0.9.1");

        var run = await RunAsync();

        Assert.Equal(0, run.Code);
        Assert.Matches("^step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=confirmed\nseconds=[0-9]+\nreason=fleet-agent 0.9.1 connected and reported its version\n$", Outcome);
        Assert.Equal("versions/0.9.1", Current);
        Assert.Equal(["versions/0.9.1"], File.ReadAllLines(Path.Join(_doubles.Dir, "restarts")));
        Assert.Equal(["restart fleet-agent.service"], _doubles.Calls("systemctl"));
        Assert.Equal(["0.9.1"], Versions);
        Assert.False(File.Exists(Path.Join(_base, ".current.new")));
        Assert.False(File.Exists(Path.Join(_upgrade, "pending")));
        Assert.Empty(_doubles.Calls("dpkg"));
        Assert.Contains($"fleet-agent-upgrade: switching {_base}/current to versions/0.9.1", run.Stdout);
        Assert.Equal(UpgradeResult.Confirmed, UpgradeOutcome.Parse(Outcome).Result);
    }

    [Fact]
    public async Task Run_NoConfirmationByTheDeadline_SwitchedBack_Restarted_RolledBackWithTheReason()
    {
        _doubles.Set("agent.show", "NRestarts=4\nExecMainStatus=1\nActiveState=activating\nSubState=auto-restart\n");

        var run = await RunAsync();

        Assert.Equal(0, run.Code);
        Assert.Equal("step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=rolled-back\nreason=fleet-agent 0.9.1 did not connect and report its version within 1s (fleet-agent.service: activating (auto-restart), exit status 1, 4 restarts)\n", Outcome);
        Assert.Equal("versions/0.9.0", Current);
        Assert.Equal(["versions/0.9.1", "versions/0.9.0"], File.ReadAllLines(Path.Join(_doubles.Dir, "restarts")));
        Assert.Equal(["restart fleet-agent.service", "show -p ActiveState,SubState,ExecMainStatus,NRestarts fleet-agent.service", "reset-failed fleet-agent.service", "restart fleet-agent.service"], _doubles.Calls("systemctl"));
        Assert.Equal(["0.9.0"], Versions); // the broken one goes, the running one stays
        Assert.False(File.Exists(Path.Join(_upgrade, "pending")));
        Assert.Empty(_doubles.Calls("dpkg"));
    }

    [Fact]
    public async Task Run_RestartOfTheNewVersionFails_SwitchedBackAtOnce_WithTheReason()
    {
        WritePending(Pending(deadline: 30));
        _doubles.Set("restart.fail");

        var run = await RunAsync();

        Assert.Equal(0, run.Code);
        Assert.Equal("step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=rolled-back\nreason=systemctl restart fleet-agent.service on fleet-agent 0.9.1 failed (fleet-agent.service: failed, exit status 2, 0 restarts)\n", Outcome);
        Assert.Equal("versions/0.9.0", Current);
    }

    [Fact]
    public async Task Run_AConfirmationOfTheOldVersion_DoesNotCount()
    {
        File.WriteAllText(Path.Join(_upgrade, "confirmed"), "0.9.0\n");
        _doubles.Set("restart.confirm", $"{_state} 0.9.0"); // only the old one, back again, "connects"

        var run = await RunAsync();

        Assert.Equal(0, run.Code);
        Assert.Contains("result=rolled-back\n", Outcome);
        Assert.Equal("versions/0.9.0", Current);
    }

    public static TheoryData<string, string, string> HostilePending => new()
    {
        { "mode", "rpm", "mode is not deb or binary" },
        { "mode", "binary;touch DIR/PWNED", "mode is not deb or binary" },
        { "mode", "deb", "base is given, but mode is not binary" },
        { "base", "relative/opt", "base is not an absolute path other than /" },
        { "base", "$(touch DIR/PWNED)", "base is not an absolute path other than /" },
        { "base", "/", "base is not an absolute path other than /" },
        { "base", "BASE/../../etc", "base holds characters or parts an install folder does not" },
        { "base", "BASE/./x", "base holds characters or parts an install folder does not" },
        { "base", "/opt/fleet agent", "base holds characters or parts an install folder does not" },
        { "base", "/opt/x;touch DIR/PWNED", "base holds characters or parts an install folder does not" },
        { "base", "BASE/", "base holds characters or parts an install folder does not" },
        { "package", "/usr/bin/fleet-agent", "package is not BASE/versions/0.9.1/fleet-agent, a file in a folder of its own" },
        { "package", "BASE/versions/0.9.1/../0.8.0/fleet-agent", "package is not BASE/versions/0.9.1/fleet-agent, a file in a folder of its own" },
        { "previous", "BASE/versions/0.8.0/fleet-agent", "previous is not BASE/versions/0.9.0/fleet-agent, a file in a folder of its own" },
        { "to", "0.9.1;touch DIR/PWNED", "to is not a version X.Y.Z" },
    };

    [Theory]
    [MemberData(nameof(HostilePending))]
    public async Task Run_HostileModeOrBase_RefusedBeforeAnything(string key, string value, string problem)
    {
        var lines = Pending(deadline: 1).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith(key + "=", StringComparison.Ordinal));
        WritePending(string.Join('\n', lines) + $"\n{key}={Fill(value)}\n");

        var run = await RunAsync();

        Assert.Equal(2, run.Code);
        Assert.Equal($"fleet-agent-upgrade: refusing to run: {Fill(problem)}\n", run.Stdout);
        AssertNothingRan();
    }

    [Fact]
    public async Task Run_NewVersionsFolderIsALink_Refused()
    {
        var folder = Path.Join(_base, "versions", "0.9.1");
        Directory.Delete(folder, recursive: true);
        Directory.CreateSymbolicLink(folder, "0.8.0");

        var run = await RunAsync();

        Assert.Equal(2, run.Code);
        Assert.Equal($"fleet-agent-upgrade: refusing to run: package is not {_base}/versions/0.9.1/fleet-agent, a file in a folder of its own\n", run.Stdout);
        Assert.Empty(_doubles.Calls("systemctl"));
        Assert.Equal("versions/0.9.0", Current);
    }

    [Fact]
    public async Task Run_CurrentIsNotASymlink_Refused()
    {
        File.Delete(Path.Join(_base, "current"));
        Directory.CreateDirectory(Path.Join(_base, "current"));

        var run = await RunAsync();

        Assert.Equal(2, run.Code);
        Assert.Equal($"fleet-agent-upgrade: refusing to run: {_base}/current is not a symlink\n", run.Stdout);
        Assert.Empty(_doubles.Calls("systemctl"));
    }

    public void Dispose()
    {
        _doubles.Dispose();
        _dir.Dispose();
    }

    private string Fill(string text) => text.Replace("BASE", _base, StringComparison.Ordinal).Replace("DIR", _dir.Path, StringComparison.Ordinal);

    private string Pending(int deadline) =>
        $"step=r7-abc-node-1-0\nrollout=r7\nfrom=0.9.0\nto=0.9.1\npackage={_base}/versions/0.9.1/fleet-agent\nprevious={_base}/versions/0.9.0/fleet-agent\ndeadline={deadline}\nstarted=1780000000\nmode=binary\nbase={_base}\n";

    private void WritePending(string text) => File.WriteAllText(Path.Join(_upgrade, "pending"), text);

    private void AssertNothingRan()
    {
        Assert.Empty(_doubles.Calls("systemctl"));
        Assert.Empty(_doubles.Calls("dpkg"));
        Assert.False(File.Exists(Path.Join(_upgrade, "outcome")));
        Assert.False(File.Exists(Path.Join(_dir.Path, "PWNED")));
        Assert.Equal("versions/0.9.0", Current);
        Assert.Equal(["0.8.0", "0.9.0", "0.9.1"], Versions);
    }

    private Task<ProcessOutput> RunAsync() =>
        ProcessRun.RunAsync("/bin/sh", [Script, _state], new Dictionary<string, string>
        {
            ["PATH"] = $"{_doubles.Bin}:/usr/bin:/bin",
        });
}

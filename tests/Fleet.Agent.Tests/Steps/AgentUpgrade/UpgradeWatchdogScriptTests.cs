using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.Testing;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>
/// The packaged watchdog (packaging/debian/fleet-agent/fleet-agent-upgrade) run for real under sh, with
/// PATH pointing at the dpkg and systemctl doubles of <see cref="UpgradeDoubles"/>: the real dpkg and
/// systemctl exist on this machine, but a test must not install a package onto it or touch its units.
/// The lead's container test runs it against the real dpkg and systemd.
/// </summary>
public sealed class UpgradeWatchdogScriptTests : IDisposable
{
    private static readonly string Script = Path.Join(Repo.Root, "packaging/debian/fleet-agent/fleet-agent-upgrade");
    private readonly TempDir _dir = new();
    private readonly UpgradeDoubles _doubles = new();
    private readonly string _state;
    private readonly string _cache;
    private readonly string _upgrade;

    public UpgradeWatchdogScriptTests()
    {
        _state = _dir.Combine("var/lib/fleet-agent");
        _cache = Path.Join(_state, "agent-packages");
        _upgrade = Path.Join(_state, "agent-upgrade");
        Directory.CreateDirectory(_cache);
        Directory.CreateDirectory(_upgrade);
        File.WriteAllText(Path.Join(_cache, "fleet-agent_0.9.1_amd64.deb"), "new");
        File.WriteAllText(Path.Join(_cache, "fleet-agent_0.9.0_amd64.deb"), "old");
        File.WriteAllText(Path.Join(_cache, "fleet-agent_0.8.0_amd64.deb"), "older");
        WritePending(Pending(deadline: 1));
    }

    private string Outcome => File.ReadAllText(Path.Join(_upgrade, "outcome"));

    [Fact]
    public async Task Run_NewAgentConfirms_OutcomeConfirmed_PendingRemoved_CachePrunedToTheNewVersion()
    {
        WritePending(Pending(deadline: 30));
        _doubles.Set("dpkg.confirm-0.9.1");

        var run = await RunAsync();

        Assert.Equal(0, run.Code);
        Assert.Matches("^step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=confirmed\nseconds=[0-9]+\nreason=fleet-agent 0.9.1 connected and reported its version\n$", Outcome);
        Assert.False(File.Exists(Path.Join(_upgrade, "pending")));
        Assert.Equal(["fleet-agent_0.9.1_amd64.deb"], Directory.GetFiles(_cache).Select(Path.GetFileName));
        Assert.Equal([$"--force-confold -i {_cache}/fleet-agent_0.9.1_amd64.deb"], _doubles.Calls("dpkg"));
        Assert.Contains("fleet-agent-upgrade: step r7-abc-node-1-0 (rollout r7): fleet-agent 0.9.0 -> 0.9.1, deadline 30s", run.Stdout);
        Assert.Contains("  dpkg: Setting up fleet-agent (0.9.1) ...", run.Stdout);
        Assert.Equal(UpgradeResult.Confirmed, UpgradeOutcome.Parse(Outcome).Result); // the agent reads what the script writes
    }

    [Fact]
    public async Task Run_NoConfirmationByTheDeadline_RollsBack_WithSystemdsWordOnTheAgent()
    {
        _doubles.Set("agent.show", "NRestarts=3\nExecMainStatus=1\nActiveState=activating\nSubState=auto-restart\n");

        var run = await RunAsync();

        Assert.Equal(0, run.Code);
        Assert.Equal("step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=rolled-back\nreason=fleet-agent 0.9.1 did not connect and report its version within 1s (fleet-agent.service: activating (auto-restart), exit status 1, 3 restarts)\n", Outcome);
        Assert.Equal([$"--force-confold -i {_cache}/fleet-agent_0.9.1_amd64.deb", $"--force-confold -i {_cache}/fleet-agent_0.9.0_amd64.deb"], _doubles.Calls("dpkg"));
        Assert.Equal(["show -p ActiveState,SubState,ExecMainStatus,NRestarts fleet-agent.service", "reset-failed fleet-agent.service", "is-active --quiet fleet-agent.service", "start fleet-agent.service"], _doubles.Calls("systemctl"));
        Assert.Equal(["fleet-agent_0.9.0_amd64.deb"], Directory.GetFiles(_cache).Select(Path.GetFileName));
        Assert.False(File.Exists(Path.Join(_upgrade, "pending")));
    }

    [Fact]
    public async Task Run_AConfirmationOfAnotherVersion_DoesNotCount()
    {
        File.WriteAllText(Path.Join(_upgrade, "confirmed"), "0.9.0\n");
        _doubles.Set("dpkg.confirm-0.9.0"); // only the reinstall of the old one "confirms" its own version

        var run = await RunAsync();

        Assert.Equal(0, run.Code);
        Assert.Contains("result=rolled-back\n", Outcome);
    }

    [Fact]
    public async Task Run_DpkgFailsOnTheNewPackage_RollsBackAtOnce_WithDpkgsLastLine()
    {
        _doubles.Set("dpkg.fail-0.9.1");

        var run = await RunAsync();

        Assert.Equal(0, run.Code);
        Assert.Equal("step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=rolled-back\nreason=dpkg -i fleet-agent_0.9.1_amd64.deb failed: new fleet-agent package pre-installation script subprocess returned error exit status 1\n", Outcome);
        Assert.DoesNotContain(_doubles.Calls("systemctl"), c => c.StartsWith("show", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_DpkgFailsOnBoth_OutcomeFailedWithBothReasons_CacheKept()
    {
        _doubles.Set("dpkg.fail-0.9.1");
        _doubles.Set("dpkg.fail-0.9.0");

        var run = await RunAsync();

        Assert.Equal(1, run.Code);
        Assert.Equal("step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=failed\nreason=dpkg -i fleet-agent_0.9.1_amd64.deb failed: new fleet-agent package pre-installation script subprocess returned error exit status 1; rolling back to fleet-agent 0.9.0 failed too: dpkg -i fleet-agent_0.9.0_amd64.deb failed: new fleet-agent package pre-installation script subprocess returned error exit status 1\n", Outcome);
        Assert.Equal(3, Directory.GetFiles(_cache).Length);
    }

    public static TheoryData<string, string, string> HostilePending => new()
    {
        { "to", "0.9.1;touch DIR/PWNED", "to is not a version X.Y.Z" },
        { "to", "$(touch DIR/PWNED)", "to is not a version X.Y.Z" },
        { "from", "0.9", "from is not a version X.Y.Z" },
        { "step", "r7 r8", "step is not a step id" },
        { "package", "/etc/passwd", "package is not fleet-agent_0.9.1_ARCH.deb in CACHE" },
        { "package", "CACHE/../agent-packages/fleet-agent_0.9.1_amd64.deb", "package is not fleet-agent_0.9.1_ARCH.deb in CACHE" },
        { "package", "CACHE/fleet-agent_0.9.1_i386.deb", "package is not fleet-agent_0.9.1_ARCH.deb in CACHE" },
        { "previous", "CACHE/fleet-agent_0.8.0_amd64.deb", "previous is not fleet-agent_0.9.0_ARCH.deb in CACHE" },
        { "deadline", "1;touch DIR/PWNED", "deadline is not a number of seconds from 1 to 3600" },
        { "deadline", "99999", "deadline is not a number of seconds from 1 to 3600" },
        { "started", "", "started is not a unix time" },
        { "exec", "sh", "unknown key in PENDING" },
        { "step", "r7-abc-node-1-0\nstep=r8", "step is given twice in PENDING" },
    };

    [Theory]
    [MemberData(nameof(HostilePending))]
    public async Task Run_HostilePendingRecord_RefusedBeforeRunningAnything(string key, string value, string problem)
    {
        var lines = Pending(deadline: 1).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith(key + "=", StringComparison.Ordinal));
        WritePending(string.Join('\n', lines) + $"\n{key}={value.Replace("CACHE", _cache, StringComparison.Ordinal).Replace("DIR", _dir.Path, StringComparison.Ordinal)}\n");

        var run = await RunAsync();

        Assert.Equal(2, run.Code);
        Assert.Equal($"fleet-agent-upgrade: refusing to run: {problem.Replace("CACHE", _cache, StringComparison.Ordinal).Replace("PENDING", Path.Join(_upgrade, "pending"), StringComparison.Ordinal)}\n", run.Stdout);
        AssertNothingRan();
    }

    [Fact]
    public async Task Run_PackageIsALink_Refused()
    {
        var link = Path.Join(_cache, "fleet-agent_0.9.1_amd64.deb");
        File.Delete(link);
        File.CreateSymbolicLink(link, "/etc/passwd");

        var run = await RunAsync();

        Assert.Equal(2, run.Code);
        Assert.Contains("package is not fleet-agent_0.9.1_ARCH.deb in", run.Stdout);
        AssertNothingRan();
    }

    [Theory]
    [InlineData("relative/state", "the state folder \"relative/state\" is not an absolute path")]
    [InlineData("/var/lib/fleet agent", "the state folder \"/var/lib/fleet agent\" holds characters or parts a state folder does not")]
    [InlineData("/var/lib/../etc", "the state folder \"/var/lib/../etc\" holds characters or parts a state folder does not")]
    [InlineData("/var/lib/x;reboot", "the state folder \"/var/lib/x;reboot\" holds characters or parts a state folder does not")]
    public async Task Run_HostileStateFolder_Refused(string state, string problem)
    {
        var run = await RunAsync(state);

        Assert.Equal(2, run.Code);
        Assert.Equal($"fleet-agent-upgrade: refusing to run: {problem}\n", run.Stdout);
        AssertNothingRan();
    }

    [Fact]
    public async Task Run_NoPendingRecord_Refused()
    {
        File.Delete(Path.Join(_upgrade, "pending"));

        var run = await RunAsync();

        Assert.Equal(2, run.Code);
        Assert.Equal($"fleet-agent-upgrade: refusing to run: no pending record {Path.Join(_upgrade, "pending")}\n", run.Stdout);
        AssertNothingRan();
    }

    public void Dispose()
    {
        _doubles.Dispose();
        _dir.Dispose();
    }

    private string Pending(int deadline) =>
        $"step=r7-abc-node-1-0\nrollout=r7\nfrom=0.9.0\nto=0.9.1\npackage={_cache}/fleet-agent_0.9.1_amd64.deb\nprevious={_cache}/fleet-agent_0.9.0_amd64.deb\ndeadline={deadline}\nstarted=1780000000\n";

    private void WritePending(string text) => File.WriteAllText(Path.Join(_upgrade, "pending"), text);

    private void AssertNothingRan()
    {
        Assert.Empty(_doubles.Calls("dpkg"));
        Assert.Empty(_doubles.Calls("systemctl"));
        Assert.False(File.Exists(Path.Join(_upgrade, "outcome")));
        Assert.False(File.Exists(Path.Join(_dir.Path, "PWNED")));
        Assert.Equal(3, Directory.GetFiles(_cache).Length);
    }

    private Task<ProcessOutput> RunAsync(string? state = null) =>
        ProcessRun.RunAsync("/bin/sh", [Script, state ?? _state], new Dictionary<string, string>
        {
            ["PATH"] = $"{_doubles.Bin}:/usr/bin:/bin",
        });
}

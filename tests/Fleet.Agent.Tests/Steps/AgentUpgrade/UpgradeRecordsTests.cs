using Fleet.Agent.Steps;
using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>
/// The records the agent and the watchdog share (pending, outcome): the outcome reported as the step's
/// result, records of another step, torn and hostile records.
/// </summary>
public sealed class UpgradeRecordsTests : IAsyncLifetime
{
    private UpgradeHarness _h = null!;

    public async Task InitializeAsync() => _h = await UpgradeHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Run_OutcomeConfirmed_OnTheNewVersion_Succeeded_OutcomeKeptForARerun_CacheKept()
    {
        WriteOutcome(UpgradeResult.Confirmed, "fleet-agent 0.9.1 connected and reported its version", seconds: 7);
        Directory.CreateDirectory(_h.Folder.CacheDir);
        await File.WriteAllTextAsync(_h.Folder.PackageFile(UpgradeHarness.To, "amd64"), "kept");

        var result = await _h.RunAsync(_h.Request(), UpgradeHarness.To).DefaultTimeout();

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("fleet-agent 0.9.0 → 0.9.1, confirmed after 7 s", result.Reason);
        // Kept until the next upgrade: the agent may crash before the runner journals the result, and the
        // step re-sent then must get the same answer.
        Assert.True(File.Exists(_h.Folder.OutcomeFile));
        var again = await _h.RunAsync(_h.Request(), UpgradeHarness.To).DefaultTimeout();
        Assert.Equal((result.Outcome, result.Reason), (again.Outcome, again.Reason));
        Assert.Equal(["fleet-agent_0.9.1_amd64.deb"], _h.Cached());
        Assert.Empty(_h.Doubles.Calls("dpkg-query")); // answered before anything is asked
    }

    [Fact]
    public async Task Run_OutcomeRolledBack_FailedWithRolledBack_AndThePrefix()
    {
        WriteOutcome(UpgradeResult.RolledBack, "fleet-agent 0.9.1 did not connect and report its version within 2m (fleet-agent.service: failed, exit status 2, 0 restarts)");

        var result = await _h.RunAsync(_h.Request()).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.True(result.RolledBack);
        Assert.Equal("rolled back to fleet-agent 0.9.0: fleet-agent 0.9.1 did not connect and report its version within 2m (fleet-agent.service: failed, exit status 2, 0 restarts)", result.Reason);
    }

    [Fact]
    public async Task Run_OutcomeFailed_FailedWithItsReason_NotRolledBack()
    {
        WriteOutcome(UpgradeResult.Failed, "dpkg -i fleet-agent_0.9.1_amd64.deb failed: x; rolling back to fleet-agent 0.9.0 failed too: y");

        var result = await _h.RunAsync(_h.Request()).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.False(result.RolledBack);
        Assert.Equal("dpkg -i fleet-agent_0.9.1_amd64.deb failed: x; rolling back to fleet-agent 0.9.0 failed too: y", result.Reason);
    }

    [Fact]
    public async Task Run_OutcomeOfAnotherStep_IsNotThisStepsAnswer_ItIsRemovedAndTheUpgradeRuns()
    {
        WriteOutcome(UpgradeResult.RolledBack, "an older upgrade", step: "r6-abc-node-1-0");
        _h.Doubles.Set($"dpkg.fail-{UpgradeHarness.To}");

        var result = await _h.RunAsync(_h.Request()).DefaultTimeout();

        Assert.Equal("rolled back to fleet-agent 0.9.0: dpkg -i fleet-agent_0.9.1_amd64.deb failed: new fleet-agent package pre-installation script subprocess returned error exit status 1", result.Reason);
        Assert.Single(_h.Doubles.Calls("systemd-run"));
    }

    [Fact]
    public async Task Run_PendingOfAnotherStep_WhileItsWatchdogRuns_Refused()
    {
        WritePending(Pending() with { Step = "r6-abc-node-1-0" });
        _h.Doubles.Set("unit.state", "active");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request())).DefaultTimeout();

        Assert.Equal("refusing to upgrade the agent: fleet-agent-upgrade.service is already active, upgrading fleet-agent 0.9.0 to 0.9.1 for step r6-abc-node-1-0; nothing was changed", ex.Message);
        Assert.Empty(_h.Doubles.Calls("systemd-run"));
    }

    [Fact]
    public async Task Run_PendingOfThisStep_WatchdogGoneWithoutOutcome_FailsNamingIt_RecordsCleared()
    {
        WritePending(Pending());

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.RunAsync(_h.Request())).DefaultTimeout();

        Assert.Equal("the upgrade watchdog fleet-agent-upgrade.service is inactive and left no outcome for fleet-agent 0.9.0 → 0.9.1 (journalctl -u fleet-agent-upgrade.service); this agent runs 0.9.0", ex.Message);
        Assert.False(File.Exists(_h.Folder.PendingFile));
    }

    [Fact]
    public async Task Run_PendingOfThisStep_TheNewAgentConfirmsWhileWaiting()
    {
        WritePending(Pending());
        _h.Doubles.Set("unit.state", "active");
        var waiting = _h.RunAsync(_h.Request(), UpgradeHarness.To);

        await Eventually.Until(() => File.Exists(_h.Folder.ConfirmedFile), "the waiting step confirms");
        Assert.Equal("0.9.1\n", await File.ReadAllTextAsync(_h.Folder.ConfirmedFile));
        WriteOutcome(UpgradeResult.Confirmed, "ok", seconds: 3); // as the watchdog does next
        var result = await waiting.DefaultTimeout();

        Assert.Equal("fleet-agent 0.9.0 → 0.9.1, confirmed after 3 s", result.Reason);
    }

    public static TheoryData<string, string> HostileRecords => new()
    {
        { "step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=confirmed", "its last line has no newline (torn)" },
        { "", "it is empty" },
        { "step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=rebooted\nreason=x\n", "result: \"rebooted\" is not confirmed, rolled-back or failed" },
        { "step=r7-abc-node-1-0\nfrom=0.9.0;reboot\nto=0.9.1\nresult=failed\nreason=x\n", "from: \"0.9.0;reboot\" is not a version X.Y.Z" },
        { "step=r7-abc-node-1-0\nstep=r8\nfrom=0.9.0\nto=0.9.1\nresult=failed\nreason=x\n", "line 2: step is given twice" },
        { "step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=failed\n", "reason is missing" },
        { "step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=failed\nreason=a\u001b[2Jb\n", "line 5: reason holds a control character" },
        { "step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=failed\nreason=x\nexec=sh\n", "line 6: unknown key \"exec\"" },
        { "step=r7-abc-node-1-0\nfrom=0.9.0\nto=0.9.1\nresult=confirmed\nseconds=-1\nreason=x\n", "seconds: \"-1\" is not a number" },
    };

    [Theory]
    [MemberData(nameof(HostileRecords))]
    public async Task Run_UnusableOutcome_FailsNamingTheFileAndTheProblem(string text, string problem)
    {
        _h.Folder.EnsureDirs();
        await File.WriteAllTextAsync(_h.Folder.OutcomeFile, text);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => _h.RunAsync(_h.Request())).DefaultTimeout();

        Assert.Equal($"the upgrade outcome record {_h.Folder.OutcomeFile} is unusable: {problem}", ex.Message);
        Assert.Empty(_h.Doubles.Calls("systemd-run"));
    }

    public static TheoryData<string, string> HostilePending => new()
    {
        { "to=0.9.1;reboot", "to: \"0.9.1;reboot\" is not a version X.Y.Z" },
        { "package=/etc/passwd", "package: \"/etc/passwd\" is not fleet-agent_0.9.1_ARCH.deb in CACHE" },
        { "package=CACHE/../agent-packages/fleet-agent_0.9.1_amd64.deb", "package: \"CACHE/../agent-packages/fleet-agent_0.9.1_amd64.deb\" is not fleet-agent_0.9.1_ARCH.deb in CACHE" },
        { "previous=CACHE/fleet-agent_0.9.1_amd64.deb", "previous: \"CACHE/fleet-agent_0.9.1_amd64.deb\" is not fleet-agent_0.9.0_ARCH.deb in CACHE" },
        { "deadline=$(reboot)", "deadline: \"$(reboot)\" is not a number of seconds from 1 to 3600" },
        { "deadline=0", "deadline: \"0\" is not a number of seconds from 1 to 3600" },
        { "started=yesterday", "started: \"yesterday\" is not a unix time" },
        { "rollout=r7 r8", "rollout: \"r7 r8\" is not an id" },
    };

    [Theory]
    [MemberData(nameof(HostilePending))]
    public void Parse_HostilePendingValue_Refused(string replace, string problem)
    {
        var key = replace[..replace.IndexOf('=')];
        var lines = Pending().Format().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.StartsWith(key + "=", StringComparison.Ordinal) ? replace.Replace("CACHE", _h.Folder.CacheDir, StringComparison.Ordinal) : l);

        var ex = Assert.Throws<InvalidDataException>(() => PendingUpgrade.Parse(string.Join('\n', lines) + "\n", _h.Folder.CacheDir));

        Assert.Equal(problem.Replace("CACHE", _h.Folder.CacheDir, StringComparison.Ordinal), ex.Message);
    }

    [Fact]
    public void Parse_PendingAsWritten_RoundTrips()
    {
        Assert.Equal(Pending(), PendingUpgrade.Parse(Pending().Format(), _h.Folder.CacheDir));
    }

    [Fact]
    public async Task Run_HostilePendingOfThisStep_FailsNamingIt_NothingRuns()
    {
        _h.Folder.EnsureDirs();
        await File.WriteAllTextAsync(_h.Folder.PendingFile, Pending().Format().Replace("deadline=120", "deadline=1;reboot", StringComparison.Ordinal));

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => _h.RunAsync(_h.Request())).DefaultTimeout();

        Assert.Equal($"the pending upgrade record {_h.Folder.PendingFile} is unusable: deadline: \"1;reboot\" is not a number of seconds from 1 to 3600", ex.Message);
        Assert.Empty(_h.Doubles.Calls("systemd-run"));
    }

    private PendingUpgrade Pending() => new(UpgradeHarness.StepId, "r7", UpgradeHarness.From, UpgradeHarness.To,
        _h.Folder.PackageFile(UpgradeHarness.To, "amd64"), _h.Folder.PackageFile(UpgradeHarness.From, "amd64"), 120, 1_780_000_000);

    private void WritePending(PendingUpgrade pending) => _h.Folder.WritePending(pending);

    private void WriteOutcome(UpgradeResult result, string reason, int? seconds = null, string step = UpgradeHarness.StepId)
    {
        _h.Folder.EnsureDirs();
        File.WriteAllText(_h.Folder.OutcomeFile, new UpgradeOutcome(step, UpgradeHarness.From, UpgradeHarness.To, result, reason, seconds).Format());
    }
}

using Fleet.Agent.Steps;
using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>
/// The UpgradeAgent step end to end on one node: the real handler, real packages over real HTTP, the
/// real dpkg-deb and the real watchdog script, started by the systemd-run double and running dpkg and
/// systemctl doubles (<see cref="UpgradeDoubles"/>: nothing is installed onto this machine).
/// </summary>
public sealed class UpgradeAgentStepHandlerTests : IAsyncLifetime
{
    private UpgradeHarness _h = null!;

    public async Task InitializeAsync() => _h = await UpgradeHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Run_NewAgentConfirms_OldAgentIsRestartedMidway_TheNextAgentAnswersSucceeded()
    {
        _h.Doubles.Set("dpkg.hold");
        _h.Doubles.Set($"dpkg.confirm-{UpgradeHarness.To}");
        using var restart = new CancellationTokenSource();

        var old = _h.RunAsync(_h.Request(), UpgradeHarness.From, restart.Token);
        await Eventually.Until(() => _h.Doubles.Calls("dpkg").Length == 1, "the watchdog runs dpkg -i");
        await restart.CancelAsync(); // dpkg restarts the old agent: its step ends unanswered
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => old.DefaultTimeout());
        _h.Doubles.Set("dpkg.go");
        await _h.WatchdogEndedAsync();

        var result = await _h.RunAsync(_h.Request(), UpgradeHarness.To).DefaultTimeout(); // the coordinator re-sends it to the new agent

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Matches(@"^fleet-agent 0\.9\.0 → 0\.9\.1, confirmed after \d+ s$", result.Reason);
        Assert.False(result.RolledBack);
        Assert.Equal([$"--force-confold -i {_h.Folder.PackageFile("0.9.1", "amd64")}"], _h.Doubles.Calls("dpkg"));
        var run = Assert.Single(_h.Doubles.Calls("systemd-run"));
        Assert.Equal($"--unit=fleet-agent-upgrade.service --collect --quiet --description=fleet-agent upgrade 0.9.0 to 0.9.1 (step {UpgradeHarness.StepId}) --property=RuntimeMaxSec=1920 /bin/sh {_h.Folder.WatchdogCopy} {_h.Folder.StateDir}", run);
        Assert.Equal(["fleet-agent_0.9.1_amd64.deb"], _h.Cached()); // pruned to the version now running
        // The outcome stays until the next upgrade (an answer re-sent after a crash before the journal line is the same).
        Assert.Contains(_h.Folder.OutcomeFile, Directory.GetFiles(_h.Folder.Dir));
        Assert.False(File.Exists(_h.Folder.PendingFile)); // the watchdog removed it on the confirmation
    }

    [Fact]
    public async Task Run_NewAgentNeverConfirms_RolledBackAtTheDeadline_WithTheReason()
    {
        var result = await _h.RunAsync(_h.Request(deadlineSeconds: 1)).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.True(result.RolledBack);
        Assert.Equal("rolled back to fleet-agent 0.9.0: fleet-agent 0.9.1 did not connect and report its version within 1s (fleet-agent.service: failed, exit status 2, 0 restarts)", result.Reason);
        Assert.Equal([$"--force-confold -i {_h.Folder.PackageFile("0.9.1", "amd64")}", $"--force-confold -i {_h.Folder.PackageFile("0.9.0", "amd64")}"], _h.Doubles.Calls("dpkg"));
        Assert.Contains("reset-failed fleet-agent.service", _h.Doubles.Calls("systemctl"));
        await _h.WatchdogEndedAsync();
        Assert.Equal(["fleet-agent_0.9.0_amd64.deb"], _h.Cached());
    }

    [Fact]
    public async Task Run_DpkgRefusesTheNewPackage_RolledBackWithDpkgsLastLine()
    {
        _h.Doubles.Set($"dpkg.fail-{UpgradeHarness.To}");

        var result = await _h.RunAsync(_h.Request()).DefaultTimeout();

        Assert.True(result.RolledBack);
        Assert.Equal("rolled back to fleet-agent 0.9.0: dpkg -i fleet-agent_0.9.1_amd64.deb failed: new fleet-agent package pre-installation script subprocess returned error exit status 1", result.Reason);
    }

    [Fact]
    public async Task Run_DpkgRefusesBothPackages_FailedWithBothReasons_NotRolledBack()
    {
        _h.Doubles.Set($"dpkg.fail-{UpgradeHarness.To}");
        _h.Doubles.Set($"dpkg.fail-{UpgradeHarness.From}");

        var result = await _h.RunAsync(_h.Request()).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.False(result.RolledBack);
        Assert.Equal("dpkg -i fleet-agent_0.9.1_amd64.deb failed: new fleet-agent package pre-installation script subprocess returned error exit status 1; rolling back to fleet-agent 0.9.0 failed too: dpkg -i fleet-agent_0.9.0_amd64.deb failed: new fleet-agent package pre-installation script subprocess returned error exit status 1", result.Reason);
    }

    [Fact]
    public async Task Run_AlreadyAtTheVersion_InstalledByDpkg_AlreadySatisfied_NothingFetched()
    {
        _h.Doubles.Installed(UpgradeHarness.To);

        var result = await _h.RunAsync(_h.Request(), UpgradeHarness.To).DefaultTimeout();

        Assert.Equal(StepOutcome.AlreadySatisfied, result.Outcome);
        Assert.Equal("fleet-agent 0.9.1 runs, installed from its package", result.Reason);
        Assert.Equal(0, _h.Artifacts.Server.Requests("/files/fleet-agent_0.9.1_amd64.deb"));
        Assert.Empty(_h.Doubles.Calls("systemd-run"));
    }
}

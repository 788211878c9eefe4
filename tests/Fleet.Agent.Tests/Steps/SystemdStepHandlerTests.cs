using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps;

/// <summary>Systemd against the systemctl double: the exact actions, unit names that cannot be options, failures.</summary>
public sealed class SystemdStepHandlerTests : IDisposable
{
    private readonly DoubleHarness _h = new();

    public void Dispose() => _h.Dispose();

    private Task<StepResult> Run(SystemdAction action, string unit = "") =>
        new SystemdStepHandler(_h.Process(), _h.Options)
            .RunAsync(new StepRequest { Id = "systemd-1", Systemd = new SystemdStep { Action = action, Unit = unit } }, _h.Progress("systemd-1"), CancellationToken.None)
            .DefaultTimeout();

    [Theory]
    [InlineData(SystemdAction.DaemonReload, "", "daemon-reload")]
    [InlineData(SystemdAction.Restart, "kubelet.service", "restart kubelet.service")]
    [InlineData(SystemdAction.Restart, "kubelet", "restart kubelet")]
    [InlineData(SystemdAction.Enable, "kubelet.service", "enable kubelet.service")]
    [InlineData(SystemdAction.EnableNow, "containerd.service", "enable --now containerd.service")]
    [InlineData(SystemdAction.Restart, "getty@tty1.service", "restart getty@tty1.service")]
    [InlineData(SystemdAction.Restart, "dev-disk-by\\x2dlabel-data.mount", "restart dev-disk-by\\x2dlabel-data.mount")]
    public async Task Run_Action_RunsSystemctlWithExactlyTheseArguments(SystemdAction action, string unit, string expected)
    {
        var result = await Run(action, unit);

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal($"ran systemctl {expected}", result.Reason);
        Assert.Equal([expected], _h.Calls("systemctl"));
    }

    [Fact]
    public async Task Run_Enable_ForwardsSystemctlsOutput()
    {
        await Run(SystemdAction.Enable, "kubelet.service");

        Assert.Contains("Created symlink /etc/systemd/system/multi-user.target.wants/kubelet.service → /lib/systemd/system/kubelet.service.", _h.LogLines());
    }

    [Theory]
    [InlineData(SystemdAction.Restart, "", "unit: missing (e.g. kubelet.service)")]
    [InlineData(SystemdAction.Restart, "--now", "unit: \"--now\" starts with '-' (it would be taken for an option)")]
    [InlineData(SystemdAction.Enable, "-H", "starts with '-'")]
    [InlineData(SystemdAction.EnableNow, "--root=/tmp", "starts with '-'")]
    [InlineData(SystemdAction.Restart, "kubelet service", "unit: \"kubelet service\" is not a unit name")]
    [InlineData(SystemdAction.Restart, "kubelet;reboot", "is not a unit name")]
    [InlineData(SystemdAction.Restart, "../../etc/passwd", "is not a unit name")]
    [InlineData(SystemdAction.Restart, "..", "is not a unit name")]
    [InlineData(SystemdAction.Restart, "kubelet.service\n", "is not a unit name")]
    [InlineData(SystemdAction.DaemonReload, "kubelet.service", "unit: daemon-reload takes no unit, but \"kubelet.service\" was given")]
    [InlineData(SystemdAction.Unspecified, "kubelet.service", "action: missing (daemon-reload, restart, enable or enable-now)")]
    [InlineData((SystemdAction)9, "kubelet.service", "action: unknown value 9")]
    public async Task Run_InvalidInput_IsRefusedBeforeAnythingRuns(SystemdAction action, string unit, string problem)
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(action, unit));

        Assert.StartsWith("refusing to run systemctl: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Empty(_h.Calls("systemctl"));
    }

    [Fact]
    public async Task Run_UnitNameTooLong_IsRefused()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(SystemdAction.Restart, new string('a', 250) + ".service"));

        Assert.Equal("refusing to run systemctl: unit: 258 characters, longer than systemd's 255", ex.Message);
        Assert.Empty(_h.Calls("systemctl"));
    }

    [Fact]
    public async Task Run_RestartFails_ReasonHasTheCodeAndTheLastStderrLine()
    {
        _h.Fail("systemctl", 1, "Job for kubelet.service failed because the control process exited with error code.\nSee \"systemctl status kubelet.service\" and \"journalctl -xeu kubelet.service\" for details.\n");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(SystemdAction.Restart, "kubelet.service"));

        Assert.Equal("systemctl restart kubelet.service exited with code 1: See \"systemctl status kubelet.service\" and \"journalctl -xeu kubelet.service\" for details.", ex.Message);
        Assert.Equal(["restart kubelet.service"], _h.Calls("systemctl"));
    }
}

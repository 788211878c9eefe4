using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Agent.Tests.Steps;

/// <summary>How a step runs a host program (here the kubeadm double): output, failures, kills, bounds.</summary>
public sealed class StepProcessTests : IDisposable
{
    private readonly DoubleHarness _h = new();

    public void Dispose() => _h.Dispose();

    private ProgramCommand Kubeadm(params string[] arguments) => new(_h.Options.KubeadmPath, "--kubeadm-path", "kubeadm " + arguments[0], arguments, SecretScrubber.None);

    [Fact]
    public async Task Run_Ok_ForwardsTheCommandLineAndEveryOutputLine()
    {
        await _h.Process().RunAsync(Kubeadm("upgrade", "node"), _h.Progress(), CancellationToken.None).DefaultTimeout();

        Assert.Equal(
            [
                $"running {_h.Options.KubeadmPath} upgrade node",
                "[upgrade] Reading configuration from the cluster...",
                "[upgrade] The configuration for this node was successfully updated!",
                "[upgrade] Now you should go ahead and upgrade the kubelet package using your package manager.",
            ],
            _h.LogLines());
        Assert.Contains(_h.Logs.Messages, m => m.Replace("\"", "", StringComparison.Ordinal).Contains("kubeadm upgrade exited with code 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_NonZeroExit_FailsWithTheCodeAndTheLastStderrLine()
    {
        _h.Fail("kubeadm", 3, "[upgrade/config] FATAL: first problem\n[upgrade/config] FATAL: the cluster is not reachable\n\n");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.Process().RunAsync(Kubeadm("upgrade", "node"), _h.Progress(), CancellationToken.None).DefaultTimeout());

        Assert.Equal("kubeadm upgrade exited with code 3: [upgrade/config] FATAL: the cluster is not reachable", ex.Message);
        Assert.Equal(["[upgrade/config] FATAL: first problem", "[upgrade/config] FATAL: the cluster is not reachable"], _h.LogLines().Skip(1));
    }

    [Fact]
    public async Task Run_NonZeroExitWithoutOutput_SaysItPrintedNothing()
    {
        _h.Fail("kubeadm", 42);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.Process().RunAsync(Kubeadm("upgrade", "node"), _h.Progress(), CancellationToken.None).DefaultTimeout());

        Assert.Equal("kubeadm upgrade exited with code 42 and printed nothing", ex.Message);
    }

    [Fact]
    public async Task Run_Cancelled_KillsTheProgramAndWhatItStarted()
    {
        _h.Sleep("kubeadm", 300);
        using var cts = new CancellationTokenSource();
        var run = _h.Process().RunAsync(Kubeadm("upgrade", "node"), _h.Progress(), cts.Token);
        var pid = await Eventually.Until(() => Task.FromResult(_h.Pid("kubeadm")), p => p is not null, "the double has started");
        var sleeper = await Eventually.Until(() => Task.FromResult(ProcessTable.Children(pid!.Value)), c => c.Length == 1, "the double is sleeping");

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.DefaultTimeout());
        Assert.False(ProcessTable.IsRunning(pid!.Value), "the double still runs");
        await Eventually.Until(() => !ProcessTable.IsRunning(sleeper[0]), "the double's sleep is killed too");
        Assert.Contains(_h.Logs.Messages, m => m.Replace("\"", "", StringComparison.Ordinal).Contains($"killed kubeadm upgrade (pid {pid})", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StepTimeout_KillsTheProgram_AndTheReasonHasTheLastLine()
    {
        _h.Sleep("kubeadm", 300);
        var request = new StepRequest
        {
            Id = "upgrade-1",
            Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)),
            KubeadmUpgrade = new KubeadmUpgradeStep { Mode = KubeadmUpgradeMode.Node },
        };

        var result = await _h.Runner(new KubeadmUpgradeStepHandler(_h.Process(), _h.Options)).Start(request, CancellationToken.None).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Equal($"timed out after 2 s; last log line: running {_h.Options.KubeadmPath} upgrade node", result.Reason);
        if (_h.Pid("kubeadm") is { } pid) // it had time to start (it records its call first)
        {
            Assert.False(ProcessTable.IsRunning(pid), "the double outlived the step's timeout");
        }
    }

    [Fact]
    public async Task Run_ManyLines_ForwardsABoundedNumberAndSaysHowManyMore()
    {
        var lines = Enumerable.Range(1, StepProcess.MaxForwardedLines + 100).Select(i => $"line {i}");
        _h.Fail("kubeadm", 1, string.Join('\n', lines) + "\n");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.Process().RunAsync(Kubeadm("upgrade", "node"), _h.Progress(), CancellationToken.None).DefaultTimeout());

        var forwarded = _h.LogLines();
        Assert.Equal(1 + StepProcess.MaxForwardedLines + 1, forwarded.Count);
        Assert.Equal($"line {StepProcess.MaxForwardedLines}", forwarded[^2]);
        Assert.Equal($"… 100 more output lines were not forwarded (at most {StepProcess.MaxForwardedLines} per run)", forwarded[^1]);
        Assert.Equal($"kubeadm upgrade exited with code 1: line {StepProcess.MaxForwardedLines + 100}", ex.Message); // the last line even so
    }

    [Fact]
    public async Task Run_LongLineWithASecretAcrossTheLimit_IsCutAfterScrubbing()
    {
        const string secret = "0123456789abcdef";
        var line = new string('x', StepProcess.MaxLineLength - 5) + secret + new string('y', 5000);
        _h.Fail("kubeadm", 1, line + "\n");
        var command = Kubeadm("upgrade", "node") with { Scrubber = new SecretScrubber(secret) };

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => _h.Process().RunAsync(command, _h.Progress(), CancellationToken.None).DefaultTimeout());

        var forwarded = _h.LogLines()[^1];
        Assert.Equal(new string('x', StepProcess.MaxLineLength - 5) + "[reda…", forwarded);
        Assert.DoesNotContain("0123", forwarded, StringComparison.Ordinal);
        Assert.DoesNotContain("0123", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 500, ex.Message);
    }
}

using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// `rollout logs -f`: the lines written so far, then the live ones, every line exactly once; it ends
/// when the rollout finishes (exit 0), or on Ctrl-C (exit 130, quietly).
/// </summary>
public sealed class RolloutLogsFollowTests : IAsyncLifetime
{
    private RolloutHarness _h = null!;

    public async Task InitializeAsync() => _h = await RolloutHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Follow_FromMidRollout_PrintsTheWholeLogOnce_ThenEndsWithTheRolloutWithExitZero()
    {
        await _h.AgentAsync("x1", "x86_64");
        await _h.AgentAsync("x2", "x86_64");
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));
        var id = await _h.ApplyAsync($"""
            name: cni
            target: {"{}"}
            strategy: {"{ batchSize: 1, pauseBetweenBatches: 2s }"}
            recipe:
              install-cni: {"{"} version: {Fixtures.CniVersion} {"}"}
            """);

        // Started while the rollout runs (it waits 2 s between its two batches): old lines, then live ones.
        var followed = await _h.CtlAsync("rollout", "logs", id, "-f").WaitAsync(TimeSpan.FromSeconds(60));
        var rollout = await _h.GetAsync(id);

        Assert.True(followed.ExitCode == 0, followed.Stderr);
        Assert.Equal("succeeded", RolloutHarness.State(rollout));
        Assert.Equal(await _h.LogsAsync(id), followed.Stdout); // no line missing, none twice
        Assert.Contains("(rollout): applied: ", followed.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("(rollout): rollout succeeded: all 2 node(s) succeeded\n", followed.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ info  x1: step 1/1 ", followed.Stdout.Split('\n').First(l => l.Contains(" x1: step 1/1 ", StringComparison.Ordinal)));

        // A finished rollout: the whole log at once, and the end.
        var again = await _h.CtlAsync("rollout", "logs", id, "-f", "--node", "x2").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((0, await _h.LogsAsync(id, "x2")), (again.ExitCode, again.Stdout));
    }

    [Fact]
    public async Task Follow_InterruptedByCtrlC_ExitsOneThirty_WithNothingOnStderr()
    {
        await _h.AgentAsync("x1", "x86_64");
        await _h.AgentAsync("x2", "x86_64");
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));
        var id = await _h.ApplyAsync($"""
            target: {"{}"}
            strategy: {"{ batchSize: 1, pauseBetweenBatches: 10m }"}
            recipe:
              install-cni: {"{"} version: {Fixtures.CniVersion} {"}"}
            """);
        using var printed = new StringWriter();
        using var stdout = TextWriter.Synchronized(printed); // read below while the follower writes
        using var stderr = new StringWriter();
        using var interrupt = new CancellationTokenSource();

        var follow = Fleet.Ctl.FleetCtl.RunAsync(["rollout", "logs", id, "-f", "--socket", _h.Coordinator.Socket], stdout, stderr, new Dictionary<string, string?>(), interrupt.Token);
        string Printed()
        {
            lock (stdout)
            {
                return printed.ToString();
            }
        }

        // The first batch's node finished: the rollout now waits 10 minutes, and the follower with it.
        await Eventually.Until(() => Task.FromResult(Printed()), s => s.Contains(": step 1/1 ", StringComparison.Ordinal) && s.Contains("succeeded", StringComparison.Ordinal), "the follower printed the first batch's outcome");
        await interrupt.CancelAsync();
        var code = await follow.DefaultTimeout();

        Assert.Equal((130, ""), (code, stderr.ToString()));
        Assert.Equal("running", RolloutHarness.State(await _h.GetAsync(id)));
        Assert.Equal(0, (await _h.CtlAsync("rollout", "abort", id)).ExitCode);
    }

    [Fact]
    public async Task Follow_OfAnUnknownRollout_FailsWithExitOne_NamingIt()
    {
        var followed = await _h.CtlAsync("rollout", "logs", "r9", "-f").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, followed.ExitCode);
        Assert.Contains("r9", followed.Stderr, StringComparison.Ordinal);
        Assert.Equal("", followed.Stdout);
    }
}

using System.Threading.Channels;
using Fleet.Agent.Hosting;
using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Agent.Tests.Steps;

public sealed class StepRunnerTests : IDisposable
{
    private readonly FixtureRoot _root = new();
    private readonly StepSink _sink = new();
    private readonly Channel<AgentMessage> _outbox = Channel.CreateUnbounded<AgentMessage>();
    private readonly SystemdStatus _systemd = new(new SystemdNotifySocket(null), null, NullLogger<SystemdStatus>.Instance);

    public StepRunnerTests() => _sink.Attach(_outbox.Writer);

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Start_SameIdTwice_RunsOnceAndAnswersTheSecondFromTheJournal()
    {
        var handler = new FakeHandler((r, _, _) => Task.FromResult(Ok(r)));
        var runner = Runner(handler);

        var first = await runner.Start(Download("step-1"), CancellationToken.None).DefaultTimeout();
        var second = await runner.Start(Download("step-1"), CancellationToken.None).DefaultTimeout();

        Assert.Equal(1, handler.Calls);
        Assert.Equal((StepOutcome.Succeeded, "done", false), (first.Outcome, first.Reason, first.FromJournal));
        Assert.Equal((StepOutcome.Succeeded, "done", true), (second.Outcome, second.Reason, second.FromJournal));
    }

    [Fact]
    public async Task Start_AfterARestart_IsAnsweredFromTheJournal()
    {
        var handler = new FakeHandler((r, _, _) => Task.FromResult(Ok(r)));
        await Runner(handler).Start(Download("step-1"), CancellationToken.None).DefaultTimeout();

        var again = await Runner(handler).Start(Download("step-1"), CancellationToken.None).DefaultTimeout();

        Assert.Equal(1, handler.Calls);
        Assert.True(again.FromJournal);
        Assert.Equal(StepOutcome.Succeeded, again.Outcome);
    }

    [Fact]
    public async Task Start_ResentWhileRunning_IsTheSameTask()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FakeHandler(async (r, _, _) =>
        {
            entered.SetResult();
            await release.Task;
            return Ok(r);
        });
        var runner = Runner(handler);

        var first = runner.Start(Download("step-1"), CancellationToken.None);
        await entered.Task.DefaultTimeout();
        var resent = runner.Start(Download("step-1"), CancellationToken.None);
        release.SetResult();

        Assert.Same(first, resent);
        Assert.Equal(StepOutcome.Succeeded, (await first.DefaultTimeout()).Outcome);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task Start_ResentAsItFinishes_DoesNotRunItAgain()
    {
        // The moment between the handler's end and the journal's record: a step re-sent then must
        // be neither started again nor lost. The log line of the finish is the hook into that moment.
        var handler = new FakeHandler((r, _, _) => Task.FromResult(Ok(r)));
        StepRunner runner = null!;
        Task<StepResult>? resent = null;
        runner = Runner(handler, new HookLogger(id =>
        {
            if (id.Name == "StepFinished" && resent is null)
            {
                resent = runner.Start(Download("step-1"), CancellationToken.None);
            }
        }));

        var first = await runner.Start(Download("step-1"), CancellationToken.None).DefaultTimeout();
        var second = await resent!.DefaultTimeout();

        Assert.Equal(1, handler.Calls);
        Assert.Equal(StepOutcome.Succeeded, first.Outcome);
        Assert.Equal(StepOutcome.Succeeded, second.Outcome);
    }

    [Fact]
    public async Task Start_ResentBetweenTheJournalLookupAndTheRun_RunsOnce()
    {
        // The race of issue 12 (finding 10): a re-send looks into the journal (not there yet), the
        // first run then finishes completely (journaled, no longer running), and the re-send goes on
        // to start the step a second time. The journal's lookup hook opens exactly that window: it
        // releases the blocked handler and waits until the first run is journaled and, when the
        // lookup is not under the runner's lock (the bug), until the first run is over.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FakeHandler(async (r, _, _) =>
        {
            entered.TrySetResult();
            await gate.Task;
            return Ok(r);
        });
        var journal = Journal();
        var runner = new StepRunner([handler], journal, _sink, _systemd, TimeProvider.System, NullLogger<StepRunner>.Instance);
        var first = runner.Start(Download("step-1"), CancellationToken.None);
        await entered.Task.DefaultTimeout();
        var lookupsUnderLock = new List<bool>();
        journal.AfterMiss = id =>
        {
            journal.AfterMiss = null;
            lookupsUnderLock.Add(runner.HoldsLock);
            gate.SetResult();
            SpinWait.SpinUntil(() => journal.RecentIds(10).Contains(id));
            if (!runner.HoldsLock)
            {
                first.Wait();
            }
        };

        var resent = runner.Start(Download("step-1"), CancellationToken.None);

        Assert.Equal(StepOutcome.Succeeded, (await first.DefaultTimeout()).Outcome);
        Assert.Equal(StepOutcome.Succeeded, (await resent.DefaultTimeout()).Outcome);
        Assert.Equal(1, handler.Calls);
        var again = await runner.Start(Download("step-1"), CancellationToken.None).DefaultTimeout();
        Assert.True(again.FromJournal);
        Assert.Equal(1, handler.Calls);
        Assert.Equal([true], lookupsUnderLock);
    }

    [Fact]
    public async Task Start_HandlerOverItsTimeout_FailsTimedOut()
    {
        var handler = new FakeHandler(async (r, _, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return Ok(r);
        });
        var request = Download("step-1");
        request.Timeout = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(100));

        var result = await Runner(handler).Start(request, CancellationToken.None).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Equal("timed out after 0.1 s", result.Reason);
        Assert.True(Journal().TryGet("step-1", out var journaled)); // a timeout is an answer
        Assert.Equal("timed out after 0.1 s", journaled.Reason);
    }

    [Fact]
    public async Task Cancel_Running_FailsCancelledAndIsNotJournaled()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FakeHandler(async (r, call, ct) =>
        {
            if (call == 1)
            {
                entered.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            return Ok(r);
        });
        var runner = Runner(handler);
        var first = runner.Start(Download("step-1"), CancellationToken.None);
        await entered.Task.DefaultTimeout();

        runner.Cancel("step-1");

        var cancelled = await first.DefaultTimeout();
        Assert.Equal(StepOutcome.Failed, cancelled.Outcome);
        Assert.Equal("cancelled", cancelled.Reason);
        Assert.False(Journal().TryGet("step-1", out _));
        var rerun = await runner.Start(Download("step-1"), CancellationToken.None).DefaultTimeout();
        Assert.Equal(2, handler.Calls);
        Assert.Equal((StepOutcome.Succeeded, false), (rerun.Outcome, rerun.FromJournal));
    }

    [Fact]
    public async Task Start_AgentStopping_FailsCancelled_IsNotJournaled_AndIsNotReported()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FakeHandler(async (r, _, ct) =>
        {
            entered.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return Ok(r);
        });
        using var stopping = new CancellationTokenSource();
        var running = Runner(handler).Start(Download("step-1"), stopping.Token);
        await entered.Task.DefaultTimeout();

        await stopping.CancelAsync();

        Assert.Equal("cancelled", (await running.DefaultTimeout()).Reason);
        Assert.False(Journal().TryGet("step-1", out _));
        // Not sent: the step is not over (dpkg restarting the agent mid-upgrade); the next agent answers it.
        Assert.DoesNotContain(Sent(), m => m.StepResult is not null);
    }

    [Fact]
    public void Cancel_UnknownId_DoesNothing()
    {
        var handler = new FakeHandler((r, _, _) => Task.FromResult(Ok(r)));

        Runner(handler).Cancel("never-started");

        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task Start_HandlerThrowsStepFailed_FailsWithThatReasonAndIsJournaled()
    {
        var handler = new FakeHandler((_, _, _) => throw new StepFailedException("HTTP 404 Not Found from http://x/kubectl"));
        var runner = Runner(handler);

        var result = await runner.Start(Download("step-1"), CancellationToken.None).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Equal("HTTP 404 Not Found from http://x/kubectl", result.Reason);
        var again = await runner.Start(Download("step-1"), CancellationToken.None).DefaultTimeout();
        Assert.Equal((StepOutcome.Failed, "HTTP 404 Not Found from http://x/kubectl", true), (again.Outcome, again.Reason, again.FromJournal));
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task Start_HandlerThrowsIOException_FailsWithItsMessage()
    {
        var handler = new FakeHandler((_, _, _) => throw new IOException("No space left on device"));

        var result = await Runner(handler).Start(Download("step-1"), CancellationToken.None).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Equal("No space left on device", result.Reason);
    }

    [Fact]
    public async Task Start_HandlerThrowsUnexpectedly_StillFailsAndReports()
    {
        // The session starts steps fire-and-forget: a step that faulted instead would never answer.
        var handler = new FakeHandler((_, _, _) => throw new NotSupportedException("unsupported machine architecture \"riscv64\""));

        var result = await Runner(handler).Start(Download("step-1"), CancellationToken.None).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Contains("unsupported machine architecture \"riscv64\"", result.Reason, StringComparison.Ordinal);
        Assert.Contains(Sent(), m => m.StepResult is { Id: "step-1", Outcome: StepOutcome.Failed });
    }

    [Fact]
    public async Task Start_NoStep_Fails()
    {
        var handler = new FakeHandler((r, _, _) => Task.FromResult(Ok(r)));

        var result = await Runner(handler).Start(new StepRequest { Id = "step-1" }, CancellationToken.None).DefaultTimeout();

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Equal("the step request names no step", result.Reason);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task Start_KindWithoutHandler_FailsNamingIt()
    {
        var handler = new FakeHandler((r, _, _) => Task.FromResult(Ok(r)));
        var request = new StepRequest { Id = "step-1", InstallCniPlugins = new InstallCniPluginsStep() };

        var result = await Runner(handler).Start(request, CancellationToken.None).DefaultTimeout();

        Assert.Equal("this agent does not know the step kind InstallCniPlugins", result.Reason);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task Start_Result_IsSentToTheOutbox()
    {
        var handler = new FakeHandler((r, _, _) => Task.FromResult(Ok(r)));
        var runner = Runner(handler);

        await runner.Start(Download("step-1"), CancellationToken.None).DefaultTimeout();
        await runner.Start(Download("step-1"), CancellationToken.None).DefaultTimeout();

        var results = Sent().Where(m => m.StepResult is not null).Select(m => m.StepResult).ToArray();
        Assert.Equal([("step-1", false), ("step-1", true)], results.Select(r => (r.Id, r.FromJournal)));
    }

    [Fact]
    public async Task Start_HandlerProgress_IsSentToTheOutbox()
    {
        var handler = new FakeHandler(async (r, _, ct) =>
        {
            await r.Progress.StateAsync(StepState.Downloading, ct);
            r.Progress.Log("fetched 3 bytes");
            return Ok(r);
        });

        await Runner(handler).Start(Download("step-1"), CancellationToken.None).DefaultTimeout();

        var updates = Sent().Where(m => m.StepUpdate is not null).Select(m => m.StepUpdate).ToArray();
        Assert.Contains(updates, u => u.Id == "step-1" && u.State == StepState.Downloading);
        Assert.Contains(updates, u => u.LogLines.Contains("fetched 3 bytes"));
    }

    [Fact]
    public async Task Start_RunningThenFinished_IsTheLastStepInTheSystemdStatus()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new FakeHandler(async (r, _, _) =>
        {
            entered.SetResult();
            await release.Task;
            return Ok(r);
        });
        var runner = Runner(handler);

        var running = runner.Start(Download("step-7"), CancellationToken.None);
        await entered.Task.DefaultTimeout();
        Assert.Equal("starting; last step: Download step-7 running", _systemd.Status);

        release.SetResult();
        await running.DefaultTimeout();
        Assert.Equal("starting; last step: Download step-7 succeeded", _systemd.Status);
    }

    [Fact]
    public async Task FinishedIds_AreTheJournals()
    {
        var handler = new FakeHandler((r, _, _) => Task.FromResult(Ok(r)));
        var runner = Runner(handler);
        await runner.Start(Download("a"), CancellationToken.None).DefaultTimeout();
        await runner.Start(Download("b"), CancellationToken.None).DefaultTimeout();

        Assert.Equal(["a", "b"], runner.FinishedIds(10));
        Assert.Equal(["b"], runner.FinishedIds(1));
    }

    private StepRunner Runner(FakeHandler handler, ILogger<StepRunner>? logger = null) =>
        new([handler], Journal(), _sink, _systemd, TimeProvider.System, logger ?? NullLogger<StepRunner>.Instance);

    private StepJournal Journal() => new(_root.Paths());

    private List<AgentMessage> Sent()
    {
        var sent = new List<AgentMessage>();
        while (_outbox.Reader.TryRead(out var message))
        {
            sent.Add(message);
        }

        return sent;
    }

    private static StepRequest Download(string id) => new() { Id = id, Download = new DownloadStep { Url = "http://127.0.0.1:1/x", Dest = "/x" } };

    private static StepResult Ok(Call call) => new() { Id = call.Request.Id, Outcome = StepOutcome.Succeeded, Reason = "done" };

    /// <summary>What the handler was called with.</summary>
    private sealed record Call(StepRequest Request, StepProgress Progress);

    /// <summary>A Download handler that counts its calls and does what the test says.</summary>
    private sealed class FakeHandler(Func<Call, int, CancellationToken, Task<StepResult>> run) : IStepHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.Download;

        public Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct) =>
            run(new Call(request, progress), Interlocked.Increment(ref _calls), ct);
    }

    /// <summary>Calls back on every log event, with its id.</summary>
    private sealed class HookLogger(Action<EventId> onLog) : ILogger<StepRunner>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => onLog(eventId);
    }
}

using Fleet.Agent.Hosting;
using Fleet.V1;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Steps;

/// <summary>
/// Runs the steps the coordinator sends, each in the background, each at most once: a finished id is
/// answered from the journal, a running id is not started twice. Never throws to its caller; tells
/// a timeout from a cancel; journals every result before reporting it.
/// </summary>
public sealed class StepRunner(IEnumerable<IStepHandler> handlers, StepJournal journal, StepSink sink, SystemdStatus systemd, TimeProvider time, ILogger<StepRunner> logger)
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);
    private readonly Dictionary<StepRequest.StepOneofCase, IStepHandler> _handlers = handlers.ToDictionary(h => h.Kind);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (CancellationTokenSource Cts, Task<StepResult> Task)> _running = new(StringComparer.Ordinal);

    private int _changes;

    public IReadOnlyList<string> FinishedIds(int max) => journal.RecentIds(max);

    /// <summary>Counts steps that changed the node; the session re-sends the facts when it moves.</summary>
    public int Changes => Volatile.Read(ref _changes);

    /// <summary>Starts a step (or answers it from the journal); returns the task that completes with its result.</summary>
    public Task<StepResult> Start(StepRequest request, CancellationToken stopping)
    {
        // One check-and-run under one lock: the journal is read under it too. RunAsync records a
        // result before it removes the id from _running (under this lock), so an id is always seen
        // either running or journaled; checked outside the lock, a step re-sent as it finished could
        // miss both and run twice.
        StepResult? known;
        lock (_gate)
        {
            if (!journal.TryGet(request.Id, out known))
            {
                if (_running.TryGetValue(request.Id, out var running))
                {
                    return running.Task; // re-sent while running: its result follows when it finishes
                }

                var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                var task = Task.Run(() => RunAsync(request, cts, stopping), CancellationToken.None);
                _running[request.Id] = (cts, task);
                return task;
            }
        }

        return ReportAsync(known, stopping); // outside the lock: it waits for room in the outbox
    }

    /// <summary>For tests: whether this thread holds the runner's lock (the journal is only read under it).</summary>
    internal bool HoldsLock => _gate.IsHeldByCurrentThread;

    public void Cancel(string id)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(id, out var running))
            {
                running.Cts.Cancel();
            }
        }
    }

    private async Task<StepResult> RunAsync(StepRequest request, CancellationTokenSource cts, CancellationToken stopping)
    {
        var timeout = request.Timeout?.ToTimeSpan() is { } t && t > TimeSpan.Zero ? t : DefaultTimeout;
        using var timeoutCts = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cts.Token, timeoutCts.Token);
        var progress = new StepProgress(request.Id, sink, time) { Deadline = time.GetUtcNow() + timeout, DeadlineReached = timeoutCts.Token };
        StepResult result;
        var cancelled = false;
        try
        {
            AgentLog.StepStarted(logger, request.Id, request.StepCase.ToString());
            systemd.StepStarted(request.Id, request.StepCase.ToString());
            result = _handlers.TryGetValue(request.StepCase, out var handler)
                ? await handler.RunAsync(request, progress, linked.Token)
                : Results.Failed(request.Id, request.StepCase == StepRequest.StepOneofCase.None
                    ? "the step request names no step"
                    : $"this agent does not know the step kind {request.StepCase}");
        }
        catch (StepFailedException ex)
        {
            result = Results.Failed(request.Id, ex.Message);
        }
        catch (OperationCanceledException) when (timeoutCts.IsCancellationRequested)
        {
            // The last log line says where it was (kubeadm's last output, the kubelet's last answer).
            var last = progress.Lines.Count > 0 ? $"; last log line: {progress.Lines[^1]}" : "";
            result = Results.Failed(request.Id, $"timed out after {timeout.TotalSeconds:0.#} s{last}");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            result = Results.Failed(request.Id, "cancelled");
            cancelled = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            result = Results.Failed(request.Id, ex.Message);
        }
        catch (Exception ex)
        {
            // Steps are started fire-and-forget: a task that faulted would never answer.
            result = Results.Failed(request.Id, $"unexpected {ex.GetType().Name}: {ex.Message}");
        }

        try
        {
            AgentLog.StepFinished(logger, request.Id, result.Outcome.ToString(), result.Reason);
            systemd.StepFinished(request.Id, request.StepCase.ToString(), result.Outcome.ToString());
            if (!cancelled)
            {
                journal.Record(result); // a cancelled step may be sent again and should then run
            }

            if (result.Outcome == StepOutcome.Succeeded)
            {
                Interlocked.Increment(ref _changes);
            }
        }
        finally
        {
            // Only once journaled: a re-sent id is always either running or in the journal.
            lock (_gate)
            {
                _running.Remove(request.Id);
            }

            cts.Dispose();
        }

        if (cancelled && stopping.IsCancellationRequested)
        {
            // The agent itself is stopping (systemctl stop or restart; dpkg restarting it for an upgrade):
            // there is nothing to report, and a "cancelled" sent now would fail a step that is not over.
            // The coordinator sends it again to the agent that connects next, which runs or answers it.
            return result;
        }

        return await ReportAsync(result, CancellationToken.None);
    }

    private async Task<StepResult> ReportAsync(StepResult result, CancellationToken ct)
    {
        await sink.SendAsync(new AgentMessage { StepResult = result }, ct);
        return result;
    }
}

using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>A running step's voice: state changes, byte counts (at most a few a second) and log lines.</summary>
public sealed class StepProgress(string stepId, StepSink sink, TimeProvider time)
{
    private static readonly TimeSpan Throttle = TimeSpan.FromMilliseconds(250);
    private readonly List<string> _log = [];
    private StepState _state = StepState.Running;
    private DateTimeOffset _lastBytes = DateTimeOffset.MinValue;
    private long _done;
    private long _total;

    public string StepId => stepId;

    /// <summary>
    /// When the step's timeout ends it (the whole step, retries included); null when the caller sets
    /// none. Work that retries (<see cref="Downloader"/>) stops retrying before it.
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Cancelled when <see cref="Deadline"/> passes (not when the step is cancelled).</summary>
    public CancellationToken DeadlineReached { get; init; }

    /// <summary>Every line logged so far, for the journal and the result.</summary>
    public IReadOnlyList<string> Lines => _log;

    public void Log(string line)
    {
        _log.Add(line);
        _ = sink.SendAsync(Update([line]), CancellationToken.None).AsTask();
    }

    public ValueTask StateAsync(StepState state, CancellationToken ct)
    {
        _state = state;
        return sink.SendAsync(Update([]), ct);
    }

    public ValueTask BytesAsync(long done, long total, CancellationToken ct, bool force = false)
    {
        (_done, _total) = (done, total);
        var now = time.GetUtcNow();
        if (!force && now - _lastBytes < Throttle)
        {
            return ValueTask.CompletedTask;
        }

        _lastBytes = now;
        return sink.SendAsync(Update([]), ct);
    }

    private AgentMessage Update(string[] lines)
    {
        var update = new StepUpdate { Id = stepId, State = _state, BytesDone = _done, BytesTotal = _total };
        update.LogLines.AddRange(lines);
        return new AgentMessage { StepUpdate = update };
    }
}

namespace Fleet.Agent.Session;

/// <summary>
/// The current heartbeat interval: configured at start, changed by the coordinator's Reconfigure.
/// A change takes effect at once: a wait in progress ends early.
/// </summary>
public sealed class HeartbeatInterval(TimeSpan initial)
{
    private readonly Lock _gate = new();
    private TimeSpan _current = initial;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TimeSpan Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    public void Set(TimeSpan value)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (value <= TimeSpan.Zero || value == _current)
            {
                return;
            }

            _current = value;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>Waits one interval, or less when the interval changes meanwhile.</summary>
    public async Task WaitAsync(TimeProvider time, CancellationToken ct)
    {
        TimeSpan current;
        Task changed;
        lock (_gate)
        {
            (current, changed) = (_current, _changed.Task);
        }

        using var delayCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(current, time, delayCts.Token);
        await Task.WhenAny(delay, changed);
        await delayCts.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }
}

using System.Threading.Channels;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// One rollout in memory while the engine drives it: its view (mutated only through <see cref="Change"/>,
/// which publishes a snapshot to every watcher), its resolved steps, and the operator's pause and abort.
/// </summary>
public sealed class RolloutRun(StoredRollout stored, TimeProvider time) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Channel<RolloutEvent>> _watchers = [];
    private CancellationTokenSource _abort = new();

    public string Id => stored.View.Id;

    public string Nonce => stored.Nonce;

    public IReadOnlyList<Batch> Batches => stored.Batches;

    public IReadOnlyDictionary<string, StoredNode> Nodes => stored.Nodes;

    public RolloutPlan Plan { get; } = PlanParser.Parse(stored.View.PlanYaml).Plan
        ?? throw new InvalidOperationException($"rollout {stored.View.Id}: its stored plan no longer parses");

    /// <summary>The engine's task while it drives this rollout; null while paused or finished.</summary>
    public Task? Driver { get; set; }

    private readonly Lock _pauseGate = new();
    private bool _pauseRequested;
    private CancellationTokenSource _pause = new();

    /// <summary>The operator asked for a pause that has not taken effect yet: no new node starts, and the wait between batches ends.</summary>
    public bool PauseRequested
    {
        get
        {
            lock (_pauseGate)
            {
                return _pauseRequested;
            }
        }
    }

    /// <summary>Cancelled when the operator asks for a pause: a wait between batches ends at once.</summary>
    public CancellationToken PauseToken
    {
        get
        {
            lock (_pauseGate)
            {
                return _pause.Token;
            }
        }
    }

    public void RequestPause()
    {
        lock (_pauseGate)
        {
            _pauseRequested = true;
            _pause.Cancel();
        }
    }

    /// <summary>The pause request is taken back (a resume before it took effect) or done with (a resume after).</summary>
    public void ClearPause()
    {
        lock (_pauseGate)
        {
            _pauseRequested = false;
            if (_pause.IsCancellationRequested)
            {
                _pause.Dispose();
                _pause = new CancellationTokenSource();
            }
        }
    }

    /// <summary>Held by the engine while it carries out one operator request (pause, resume, abort) on this rollout.</summary>
    public SemaphoreSlim Requests { get; } = new(1, 1);

    public void Dispose()
    {
        _abort.Dispose();
        _pause.Dispose();
        Requests.Dispose();
    }

    /// <summary>Cancelled when the operator aborts: steps in flight are cancelled on their nodes.</summary>
    public CancellationToken AbortToken => _abort.Token;

    public void RequestAbort() => _abort.Cancel();

    /// <summary>For a wait of the driver's (between batches, a gate, a maintenance window): cancelled when the coordinator
    /// stops, the operator aborts or the operator asks for a pause. The caller disposes it.</summary>
    public CancellationTokenSource Interruptible(CancellationToken stopping) =>
        CancellationTokenSource.CreateLinkedTokenSource(stopping, AbortToken, PauseToken);

    /// <summary>On resume from a pause (a rollout being aborted cannot be resumed, so no live abort is undone here).</summary>
    public void ResetAbort()
    {
        if (!_abort.IsCancellationRequested)
        {
            return;
        }

        _abort.Dispose();
        _abort = new CancellationTokenSource();
    }

    public Rollout Snapshot()
    {
        lock (_gate)
        {
            return stored.View.Clone();
        }
    }

    public T Read<T>(Func<Rollout, T> read)
    {
        lock (_gate)
        {
            return read(stored.View);
        }
    }

    public RolloutNode Node(Rollout view, string name) => view.Nodes.First(n => n.Name == name);

    /// <summary>Changes the view and sends the new snapshot to every watcher.</summary>
    public void Change(Action<Rollout> change)
    {
        RolloutEvent e;
        Channel<RolloutEvent>[] watchers;
        lock (_gate)
        {
            change(stored.View);
            stored.View.UpdatedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow());
            e = new RolloutEvent { Snapshot = stored.View.Clone() };
            watchers = [.. _watchers];
        }

        foreach (var w in watchers)
        {
            w.Writer.TryWrite(e);
        }
    }

    public void Publish(RolloutLogLine line)
    {
        Channel<RolloutEvent>[] watchers;
        lock (_gate)
        {
            watchers = [.. _watchers];
        }

        foreach (var w in watchers)
        {
            w.Writer.TryWrite(new RolloutEvent { Log = line });
        }
    }

    /// <summary>A watcher: gets the current snapshot first. Bounded: a watcher too slow to keep up loses old events, never the newest.</summary>
    public ChannelReader<RolloutEvent> Watch(CancellationToken ct)
    {
        var channel = Channel.CreateBounded<RolloutEvent>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            channel.Writer.TryWrite(new RolloutEvent { Snapshot = stored.View.Clone() });
            _watchers.Add(channel);
        }

        ct.Register(() =>
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }

            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    /// <summary>Ends every watch (the rollout finished or paused): watchers have seen the last snapshot.</summary>
    public void EndWatches()
    {
        lock (_gate)
        {
            foreach (var w in _watchers)
            {
                w.Writer.TryComplete();
            }

            _watchers.Clear();
        }
    }
}

using System.Threading.Channels;
using Fleet.Coordinator.Metrics;

namespace Fleet.Coordinator.Notifications;

/// <summary>
/// The bounded in-memory queues between rollouts and receivers: one per receiver (URL and secret), each with its
/// own task, so a receiver that hangs delays only its own deliveries, and a rollout's events reach a receiver in
/// the order they happened. <see cref="Enqueue"/> never waits: when a receiver's queue is full, the OLDEST waiting
/// delivery is dropped (the newest, such as "finished", says where the rollout is now), counted in
/// fleet_webhook_deliveries_dropped_total and logged once until that queue drains. A queue idle for
/// <see cref="NotificationOptions.IdleLaneTimeout"/> is removed. Deliveries still queued when the coordinator
/// stops are lost (they are notifications, not state: the rollout's state is in the store).
/// </summary>
public sealed class WebhookDispatcher(WebhookSender sender, NotificationOptions options, WebhookMetrics metrics, TimeProvider time, ILogger<WebhookDispatcher> logger)
    : IHostedService, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public void Enqueue(WebhookDelivery delivery)
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            if (!_lanes.TryGetValue(delivery.Lane, out var lane))
            {
                lane = new Lane(delivery.Lane, delivery.Webhook.Origin, options.QueueCapacity, this);
                _lanes[delivery.Lane] = lane;
                lane.Task = Task.Run(() => RunAsync(lane), CancellationToken.None);
            }

            lane.Queue.Writer.TryWrite(delivery); // full: the oldest is dropped (Dropped, below)
        }
    }

    /// <summary>Deliveries waiting, over every receiver (for tests and diagnostics).</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _lanes.Values.Sum(l => l.Queue.Reader.Count);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] tasks;
        lock (_gate)
        {
            _stopping.Cancel();
            tasks = [.. _lanes.Values.Select(l => l.Task!)];
        }

        await Task.WhenAll(tasks).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _stopping.Dispose();

    private void Dropped(Lane lane)
    {
        metrics.Dropped.Inc(); // called by the channel within Enqueue's lock
        if (!lane.DropLogged)
        {
            lane.DropLogged = true;
            NotificationLog.Dropping(logger, lane.Origin, options.QueueCapacity);
        }
    }

    private async Task RunAsync(Lane lane)
    {
        var stopping = _stopping.Token;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                using (var idle = new CancellationTokenSource(options.IdleLaneTimeout, time))
                using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(idle.Token, stopping))
                {
                    try
                    {
                        await lane.Queue.Reader.WaitToReadAsync(waiting.Token);
                    }
                    catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                    {
                        lock (_gate)
                        {
                            if (lane.Queue.Reader.Count == 0)
                            {
                                _lanes.Remove(lane.Key); // the next delivery to this receiver starts a new queue
                                return;
                            }
                        }
                    }
                }

                while (lane.Queue.Reader.TryRead(out var delivery))
                {
                    await sender.SendAsync(delivery, stopping);
                }

                lock (_gate)
                {
                    lane.DropLogged = false; // drained: the next overflow is logged again
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The coordinator is stopping; what is still queued is lost.
        }
    }

    private sealed class Lane
    {
        public Lane(string key, string origin, int capacity, WebhookDispatcher owner)
        {
            Key = key;
            Origin = origin;
            Queue = Channel.CreateBounded<WebhookDelivery>(
                new BoundedChannelOptions(Math.Max(1, capacity)) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
                _ => owner.Dropped(this));
        }

        public string Key { get; }

        public string Origin { get; }

        public Channel<WebhookDelivery> Queue { get; }

        public Task? Task { get; set; }

        public bool DropLogged { get; set; }
    }
}

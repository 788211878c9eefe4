using System.Runtime.CompilerServices;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// Follows a rollout's log: every line once, in order, with no gap between the lines written before
/// the call and the live ones. The store's line sequence is the cursor; the live run's watch only
/// says when to read again (it is bounded and may drop events, the store never does). The watch is
/// subscribed before each read, so a line written during the read wakes the next one. It ends once
/// the rollout has finished and its driver has written its last line (the outcome); a paused
/// rollout is followed on, since it may be resumed or aborted.
/// </summary>
internal static class RolloutLogFollower
{
    /// <summary>How often a rollout that has no live run in memory (not finished: it should not happen) is read again.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    public static async IAsyncEnumerable<RolloutLogLine> FollowAsync(
        string id, string? node, Func<string, RolloutRun?> live, IRolloutStore store, TimeProvider time, [EnumeratorCancellation] CancellationToken ct)
    {
        long cursor = 0;
        while (true)
        {
            var run = live(id);
            using var unsubscribe = CancellationTokenSource.CreateLinkedTokenSource(ct);
            try
            {
                var events = run?.Watch(unsubscribe.Token);
                var finished = run is null
                    ? (await store.GetAsync(id, ct))?.View.State.IsFinished() ?? true
                    : run.Read(v => v.State).IsFinished();
                if (finished && run?.Driver is { } driver)
                {
                    // The driver writes the outcome line after the state, then ends: wait for it.
                    await driver.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    ct.ThrowIfCancellationRequested();
                }

                await foreach (var (seq, line) in store.LogsAfterAsync(id, node, cursor, ct))
                {
                    cursor = seq;
                    yield return line;
                }

                if (finished)
                {
                    yield break;
                }

                if (events is null)
                {
                    await Task.Delay(Poll, time, ct);
                }
                else
                {
                    await NextLineOrEndAsync(events, ct);
                }
            }
            finally
            {
                await unsubscribe.CancelAsync();
            }
        }
    }

    /// <summary>Returns when a new line was published, the rollout finished, or the watch ended (paused, finished).</summary>
    private static async Task NextLineOrEndAsync(System.Threading.Channels.ChannelReader<RolloutEvent> events, CancellationToken ct)
    {
        while (await events.WaitToReadAsync(ct))
        {
            var wake = false;
            while (events.TryRead(out var e))
            {
                wake |= e.KindCase == RolloutEvent.KindOneofCase.Log || e.Snapshot is { } s && s.State.IsFinished();
            }

            if (wake)
            {
                return;
            }
        }
    }
}

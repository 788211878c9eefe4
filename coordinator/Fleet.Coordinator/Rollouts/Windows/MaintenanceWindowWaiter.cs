using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Coordinator.Rollouts.Windows;

/// <summary>
/// The driver asks before it starts a node: with <c>strategy.windows</c>, a pending node starts only while a window
/// is open; until then the rollout shows "waiting for window (next: …)" (<see cref="Rollout.WindowWait"/>) and says
/// so in its log. A node already in progress in this phase (running when the coordinator stopped) goes on; a node between
/// two phases of a multi-hop upgrade waits like a pending one. The wait is derived
/// from the clock each time, never stored: a resumed rollout or a restarted coordinator asks again. An abort, the
/// operator's pause, or <c>stop</c> (the failure threshold) ends the wait at once, and the driver's own check stops there.
/// </summary>
public sealed class MaintenanceWindowWaiter(RolloutTransitions transitions, TimeProvider time)
{
    /// <summary>The clock is read again at least this often while waiting, so a change of the system clock is seen.</summary>
    public static readonly TimeSpan Recheck = TimeSpan.FromMinutes(1);

    public async Task WaitAsync(RolloutRun run, string node, int phase, Func<bool> stop, CancellationToken stopping)
    {
        var windows = run.Plan.Strategy.Windows;
        if (windows.Count == 0 || run.Read(v => RolloutPhases.Begun(run.Node(v, node), phase)))
        {
            return;
        }

        try
        {
            var waited = false;
            while (!run.AbortToken.IsCancellationRequested && !run.PauseRequested && !stop())
            {
                var now = time.GetUtcNow();
                if (WindowSchedule.OpenAt(windows, now) is { } open)
                {
                    if (waited)
                    {
                        await transitions.LogAsync(run, "", "info", $"window \"{open.Text}\" is open: starting {node}", stopping);
                    }

                    return;
                }

                var (at, window) = WindowSchedule.NextOpening(windows, now);
                var wait = $"waiting for window (next: {window.Describe(at)})";
                using var linked = run.Interruptible(stopping);
                var delay = Task.Delay(at - now < Recheck ? at - now : Recheck, time, linked.Token); // the timer runs from here, before the rollout says it waits
                if (run.Read(v => v.WindowWait) != wait)
                {
                    // Logged first: whoever sees the rollout waiting finds the reason in its log.
                    await transitions.LogAsync(run, "", "info", $"{wait}: no node starts outside strategy.windows; {node} is next", stopping);
                    run.Change(v =>
                    {
                        v.WindowWait = wait;
                        v.WindowOpensAt = Timestamp.FromDateTimeOffset(at);
                    });
                    await transitions.AnnounceAsync(run, RolloutAnnouncement.WindowWait, wait, stopping, node);
                }

                waited = true;
                try
                {
                    await delay;
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    return; // aborted or paused: the driver's check that follows stops the rollout
                }
            }
        }
        finally
        {
            if (run.Read(v => v.WindowWait.Length > 0))
            {
                run.Change(v =>
                {
                    v.WindowWait = "";
                    v.WindowOpensAt = null;
                });
            }
        }
    }
}

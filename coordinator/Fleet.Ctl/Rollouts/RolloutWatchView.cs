using System.Globalization;
using Fleet.Ctl.Output;
using Fleet.V1;
using Grpc.Core;
using Spectre.Console;

namespace Fleet.Ctl.Rollouts;

/// <summary>
/// `rollout watch`: on a terminal a live table (a line per node: its step, a progress bar for downloads, the
/// last log line); redirected, a line per node state or step change and per log line. Then a summary.
/// </summary>
internal sealed class RolloutWatchView(TextWriter stdout)
{
    private readonly IAnsiConsole _console = Terminal.For(stdout);
    private readonly Dictionary<string, string> _lastShown = new(StringComparer.Ordinal);

    /// <summary>Shows events until the stream ends; returns the last snapshot.</summary>
    public async Task<Rollout?> ShowAsync(IAsyncStreamReader<RolloutEvent> events, CancellationToken ct)
    {
        Rollout? last = null;
        if (_console.Profile.Capabilities.Interactive)
        {
            var table = Terminal.Table("NODE", "ARCH", "BATCH", "STATE", "STEP", "DETAIL");
            await _console.Live(table).StartAsync(async live =>
            {
                await foreach (var e in events.ReadAllAsync(ct))
                {
                    if (e.KindCase == RolloutEvent.KindOneofCase.Snapshot)
                    {
                        last = e.Snapshot;
                        Redraw(table, last);
                        live.Refresh();
                    }
                }
            });
        }
        else
        {
            await foreach (var e in events.ReadAllAsync(ct))
            {
                if (e.KindCase == RolloutEvent.KindOneofCase.Log)
                {
                    _console.WriteLine(RolloutViews.LogLine(e.Log));
                }
                else if (e.KindCase == RolloutEvent.KindOneofCase.Snapshot)
                {
                    last = e.Snapshot;
                    Lines(last);
                }
            }
        }

        if (last is not null)
        {
            _console.WriteLine();
            RolloutViews.PrintRollout(_console, last, wide: false);
        }

        return last;
    }

    private static void Redraw(Table table, Rollout r)
    {
        table.Rows.Clear();
        table.Caption = new TableTitle($"rollout {r.Id}: {r.Recipe}, {r.State.ToName()}, batch {r.CurrentBatch} of {r.BatchCount}");
        foreach (var n in r.Nodes)
        {
            table.AddRow(Markup.Escape(n.Name), n.Arch.ToName(), n.Batch.ToString(CultureInfo.InvariantCulture), RolloutViews.NodeStateMarkup(n.State), Markup.Escape(RolloutViews.CurrentStep(n)), Markup.Escape(RolloutViews.Detail(n)));
        }
    }

    /// <summary>Redirected output: only what changed (a node's state or step), not every progress tick.</summary>
    private void Lines(Rollout r)
    {
        var state = $"rollout {r.Id}: {r.State.ToName()}, batch {r.CurrentBatch} of {r.BatchCount}";
        if (_lastShown.GetValueOrDefault("") != state)
        {
            _lastShown[""] = state;
            _console.WriteLine(state);
        }

        foreach (var n in r.Nodes)
        {
            var line = $"{n.Name} ({n.Arch.ToName()}): {n.State.ToName()} {RolloutViews.CurrentStep(n)}";
            if (_lastShown.GetValueOrDefault(n.Name) != line)
            {
                _lastShown[n.Name] = line;
                _console.WriteLine(line);
            }
        }
    }
}

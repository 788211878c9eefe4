using Fleet.Ctl.Output;
using Fleet.V1;
using Grpc.Core;
using Spectre.Console;

namespace Fleet.Ctl.Rollouts;

/// <summary>
/// `rollout watch`: on a terminal a live table (a line per node: its step, a progress bar for downloads, the
/// last log line); redirected, a line per node state or step change and per log line. Then a summary.
/// </summary>
internal sealed class RolloutWatchView(TextWriter stdout, TerminalInfo terminal)
{
    private readonly Dictionary<string, string> _lastShown = new(StringComparer.Ordinal);

    /// <summary>Shows events until the stream ends; returns the last snapshot.</summary>
    public async Task<Rollout?> ShowAsync(IAsyncStreamReader<RolloutEvent> events, CancellationToken ct)
    {
        Rollout? last = null;
        if (terminal.Width is not null)
        {
            var console = Terminal.Live(stdout);
            await console.Live(new Text("")).StartAsync(async live =>
            {
                await foreach (var e in events.ReadAllAsync(ct))
                {
                    if (e.KindCase == RolloutEvent.KindOneofCase.Snapshot)
                    {
                        last = e.Snapshot;
                        live.UpdateTarget(new Text(Frame(RolloutView.From(last))));
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
                    await stdout.WriteLineAsync(RolloutViews.LogLine(RolloutLogLineView.From(e.Log)));
                }
                else if (e.KindCase == RolloutEvent.KindOneofCase.Snapshot)
                {
                    last = e.Snapshot;
                    await Lines(RolloutView.From(last));
                }
            }
        }

        if (last is not null)
        {
            await stdout.WriteLineAsync();
            RolloutViews.PrintRollout(stdout, terminal, RolloutView.From(last), wide: false);
        }

        return last;
    }

    private string Frame(RolloutView r)
    {
        var lines = RolloutViews.Nodes(r).Lines(terminal with { Color = false }).ToList();
        lines.Add($"rollout {r.Id}: {r.Recipe}, {r.State}, batch {r.CurrentBatch} of {r.BatchCount}{(r.PhaseLine is { } phase ? $", {phase}" : "")}{(r.Gate.Length > 0 ? $"; checking gate: {r.Gate}" : "")}{(r.WindowWait is { } wait ? $"; {wait}" : "")}");
        return string.Join('\n', lines);
    }

    /// <summary>Redirected output: only what changed (a node's state or step), not every progress tick.</summary>
    private async Task Lines(RolloutView r)
    {
        var state = $"rollout {r.Id}: {r.State}, batch {r.CurrentBatch} of {r.BatchCount}{(r.PhaseLine is { } phase ? $", {phase}" : "")}{(r.Gate.Length > 0 ? $"; checking gate: {r.Gate}" : "")}";
        if (_lastShown.GetValueOrDefault("") != state)
        {
            _lastShown[""] = state;
            await stdout.WriteLineAsync(state);
        }

        foreach (var n in r.Nodes)
        {
            var line = $"{n.Name} ({n.Arch}): {n.State} {RolloutViews.CurrentStep(n)}";
            if (_lastShown.GetValueOrDefault(n.Name) != line)
            {
                _lastShown[n.Name] = line;
                await stdout.WriteLineAsync(line);
            }
        }
    }
}

using Fleet.Ctl.Output;
using Fleet.V1;
using Grpc.Core;
using Spectre.Console;

namespace Fleet.Ctl.Run;

/// <summary>
/// Shows a run as it happens: on a terminal a live table (node, arch, state, bytes, last log line);
/// redirected, one line per state change, log line and result. Then a summary table.
/// </summary>
internal sealed class RunProgressView(TextWriter stdout)
{
    private readonly IAnsiConsole _console = Terminal.For(stdout);
    private readonly Dictionary<string, Row> _rows = new(StringComparer.Ordinal);

    private sealed class Row(string arch)
    {
        public string Arch { get; } = arch;

        public string State { get; set; } = "sent";

        public long Done { get; set; }

        public long Total { get; set; }

        public string Last { get; set; } = "";

        public StepResult? Result { get; set; }
    }

    public int Failed => _rows.Values.Count(r => r.Result?.Outcome is not (StepOutcome.Succeeded or StepOutcome.AlreadySatisfied));

    public int Total => _rows.Count;

    public async Task ShowAsync(IAsyncStreamReader<RunStepEvent> events, CancellationToken ct)
    {
        if (_console.Profile.Capabilities.Interactive)
        {
            var table = Terminal.Table("NODE", "ARCH", "STATE", "PROGRESS", "LAST");
            await _console.Live(table).StartAsync(async live =>
            {
                await foreach (var e in events.ReadAllAsync(ct))
                {
                    Apply(e, line: null);
                    Redraw(table);
                    live.Refresh();
                }
            });
        }
        else
        {
            await foreach (var e in events.ReadAllAsync(ct))
            {
                Apply(e, line => _console.WriteLine(line));
            }
        }

        Summary();
    }

    private void Apply(RunStepEvent e, Action<string>? line)
    {
        switch (e.KindCase)
        {
            case RunStepEvent.KindOneofCase.Plan:
                foreach (var step in e.Plan.Steps)
                {
                    _rows[step.Node] = new Row(step.Arch.ToName());
                    line?.Invoke($"{step.Node} ({step.Arch.ToName()}): {step.Url} sha256 {step.Sha256}");
                }

                break;
            case RunStepEvent.KindOneofCase.Update when _rows.TryGetValue(e.Update.Node, out var row):
                var state = e.Update.Update.State.ToString().ToLowerInvariant();
                if (state != row.State)
                {
                    line?.Invoke($"{e.Update.Node}: {state}");
                }

                (row.State, row.Done, row.Total) = (state, e.Update.Update.BytesDone, e.Update.Update.BytesTotal);
                foreach (var log in e.Update.Update.LogLines)
                {
                    row.Last = log;
                    line?.Invoke($"{e.Update.Node}: {log}");
                }

                break;
            case RunStepEvent.KindOneofCase.Result when _rows.TryGetValue(e.Result.Node, out var done):
                done.Result = e.Result.Result;
                done.State = Outcome(e.Result.Result.Outcome);
                line?.Invoke($"{e.Result.Node}: {done.State}: {e.Result.Result.Reason}");
                break;
        }
    }

    private void Redraw(Table table)
    {
        table.Rows.Clear();
        foreach (var (node, row) in _rows.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(node), row.Arch, Markup.Escape(row.State), Progress(row), Markup.Escape(row.Last));
        }
    }

    private void Summary()
    {
        _console.WriteLine();
        var table = Terminal.Table("NODE", "ARCH", "RESULT", "REASON");
        foreach (var (node, row) in _rows.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var result = row.Result is null ? "no result" : Outcome(row.Result.Outcome);
            var colour = row.Result?.Outcome is StepOutcome.Succeeded or StepOutcome.AlreadySatisfied ? "green" : "red";
            table.AddRow(Markup.Escape(node), row.Arch, $"[{colour}]{result}[/]", Markup.Escape(row.Result?.Reason ?? ""));
        }

        _console.Write(table);
    }

    private static string Progress(Row row) =>
        row.Total > 0 ? $"{row.Done * 100 / row.Total}% of {row.Total / 1024} KiB"
        : row.Done > 0 ? $"{row.Done / 1024} KiB"
        : "";

    private static string Outcome(StepOutcome outcome) => outcome switch
    {
        StepOutcome.Succeeded => "succeeded",
        StepOutcome.AlreadySatisfied => "already satisfied",
        StepOutcome.Failed => "failed",
        _ => "unknown",
    };
}

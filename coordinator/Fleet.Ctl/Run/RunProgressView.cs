using Fleet.Ctl.Output;
using Fleet.V1;
using Grpc.Core;
using Spectre.Console;

namespace Fleet.Ctl.Run;

/// <summary>
/// Shows a run as it happens: on a terminal a live table (node, arch, state, bytes, last log line);
/// redirected, one line per state change, log line and result. Then a summary table.
/// </summary>
internal sealed class RunProgressView(TextWriter stdout, TerminalInfo terminal)
{
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

    /// <summary>The rollout the run is (from the plan event): `fleetctl rollout get|logs ID`.</summary>
    public string RolloutId { get; private set; } = "";

    private string _skipped = "";

    private string RolloutLine => $"rollout {RolloutId}: fleetctl rollout logs {RolloutId}{_skipped}";

    public async Task ShowAsync(IAsyncStreamReader<RunStepEvent> events, CancellationToken ct)
    {
        if (terminal.Width is not null)
        {
            await Terminal.Live(stdout).Live(new Text("")).StartAsync(async live =>
            {
                await foreach (var e in events.ReadAllAsync(ct))
                {
                    Apply(e, line: null);
                    var lines = Progress().Lines(terminal with { Color = false });
                    live.UpdateTarget(new Text(string.Join('\n', RolloutId.Length > 0 ? lines.Prepend(RolloutLine) : lines)));
                }
            });
        }
        else
        {
            await foreach (var e in events.ReadAllAsync(ct))
            {
                Apply(e, line => stdout.WriteLine(line));
            }
        }

        Summary();
    }

    public void Apply(RunStepEvent e, Action<string>? line)
    {
        switch (e.KindCase)
        {
            case RunStepEvent.KindOneofCase.Plan:
                RolloutId = e.Plan.RolloutId;
                _skipped = e.Plan.SkippedDisconnected.Count == 0 ? "" : $"; skipped, not connected: {string.Join(", ", e.Plan.SkippedDisconnected)}";
                if (RolloutId.Length > 0)
                {
                    line?.Invoke(RolloutLine);
                }

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

    /// <summary>The live table: NODE, ARCH, STATE, PROGRESS, LAST (the last log line, cut to fit).</summary>
    public TableWriter Progress()
    {
        var table = new TableWriter(new Column("NODE"), new Column("ARCH"), new Column("STATE"), new Column("PROGRESS"), new Column("LAST", Free: true));
        foreach (var (node, row) in _rows.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            table.AddRow(node, row.Arch, row.State, Cell.OrDash(Progress(row)), Cell.OrDash(row.Last));
        }

        return table;
    }

    /// <summary>The summary: NODE, ARCH, RESULT, REASON.</summary>
    public TableWriter Results()
    {
        var table = new TableWriter(new Column("NODE"), new Column("ARCH"), new Column("RESULT"), new Column("REASON", Free: true));
        foreach (var (node, row) in _rows.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var result = row.Result is null ? "no result" : Outcome(row.Result.Outcome);
            var color = row.Result?.Outcome is StepOutcome.Succeeded or StepOutcome.AlreadySatisfied ? CellColor.Green : CellColor.Red;
            table.AddRow(node, row.Arch, new Cell(result, color), Cell.OrDash(row.Result?.Reason));
        }

        return table;
    }

    private void Summary()
    {
        stdout.WriteLine();
        Results().Write(stdout, terminal);
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

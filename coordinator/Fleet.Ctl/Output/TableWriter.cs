using System.Globalization;
using System.Text;

namespace Fleet.Ctl.Output;

/// <summary>A column: its header, and whether it holds free text that may be cut with … to fit a terminal.</summary>
internal sealed record Column(string Header, bool Free = false);

/// <summary>
/// A kubectl-like table: upper-case headers, columns three spaces apart, no trailing padding. Every
/// column is always printed. On a terminal of known width only the free-text columns are cut (with …,
/// never below <see cref="MinFree"/> characters); when the fixed columns alone are wider than the
/// terminal, or the output is piped, lines run on as kubectl's do. Control characters in a cell (a
/// node's text may hold any) are shown as spaces so a cell never breaks a row or drives the terminal.
/// </summary>
internal sealed class TableWriter(params Column[] columns)
{
    public const string Gap = "   ";
    public const int MinFree = 12;

    private readonly List<Cell[]> _rows = [];

    public IReadOnlyList<Column> Columns => columns;

    public int RowCount => _rows.Count;

    public TableWriter(params string[] headers)
        : this(headers.Select(h => new Column(h)).ToArray())
    {
    }

    public void AddRow(params Cell[] cells)
    {
        if (cells.Length != columns.Length)
        {
            throw new ArgumentException($"a row of {cells.Length} cells in a table of {columns.Length} columns", nameof(cells));
        }

        _rows.Add(cells.Select(c => c with { Text = Printable(c.Text) }).ToArray());
    }

    public void Write(TextWriter writer, TerminalInfo terminal)
    {
        foreach (var line in Lines(terminal))
        {
            writer.WriteLine(line);
        }
    }

    public IEnumerable<string> Lines(TerminalInfo terminal)
    {
        var widths = Widths(terminal.Width);
        yield return Line(columns.Select(c => new Cell(c.Header)).ToArray(), widths, color: false);
        foreach (var row in _rows)
        {
            yield return Line(row, widths, terminal.Color);
        }
    }

    private int[] Widths(int? terminalWidth)
    {
        var widths = new int[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            widths[i] = Math.Max(Length(columns[i].Header), _rows.Count == 0 ? 0 : _rows.Max(r => Length(r[i].Text)));
        }

        if (terminalWidth is not { } limit)
        {
            return widths;
        }

        // The last column is not padded, so it needs only its own width; cut the widest free column until it fits.
        var excess = widths.Sum() + (Gap.Length * (columns.Length - 1)) - limit;
        while (excess > 0)
        {
            var widest = -1;
            for (var i = 0; i < columns.Length; i++)
            {
                var floor = Math.Max(MinFree, Length(columns[i].Header));
                if (columns[i].Free && widths[i] > floor && (widest < 0 || widths[i] > widths[widest]))
                {
                    widest = i;
                }
            }

            if (widest < 0)
            {
                break; // only fixed columns left: the line runs on rather than losing a column
            }

            widths[widest]--;
            excess--;
        }

        return widths;
    }

    private static string Line(Cell[] cells, int[] widths, bool color)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            var text = Fit(cells[i].Text, widths[i]);
            var last = i == cells.Length - 1;
            var padding = last ? 0 : widths[i] - Length(text);
            line.Append(color ? cells[i].Color.Paint(text) : text).Append(' ', padding);
            if (!last)
            {
                line.Append(Gap);
            }
        }

        return line.ToString().TrimEnd();
    }

    private static string Fit(string text, int width)
    {
        if (Length(text) <= width)
        {
            return text;
        }

        var info = new StringInfo(text);
        return info.SubstringByTextElements(0, width - 1) + "…";
    }

    /// <summary>Display length: text elements, so a combined character counts once.</summary>
    public static int Length(string text) => new StringInfo(text).LengthInTextElements;

    /// <summary>Text a node wrote, made safe to print: every control character (a newline, an escape sequence's ESC) becomes a space.</summary>
    public static string Printable(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        return new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
    }
}

using System.Text.RegularExpressions;
using Fleet.Ctl.Output;

namespace Fleet.Ctl.Tests.Output;

public sealed class TableWriterTests
{
    public static TheoryData<string, int> EveryTableAtEveryWidth()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in EveryTable.All().Keys)
        {
            foreach (var width in new[] { 80, 120, 200, 0 })
            {
                data.Add(name, width); // 0: piped, no terminal
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryTableAtEveryWidth))]
    public void Render_NeverDropsOrMangles_AColumn(string table, int width)
    {
        var writer = EveryTable.All()[table];
        var terminal = width == 0 ? TerminalInfo.Piped : new TerminalInfo(width, Color: false);

        var lines = writer.Lines(terminal).ToList();

        Assert.Equal(writer.RowCount + 1, lines.Count);
        var header = lines[0];
        var at = 0;
        foreach (var column in writer.Columns)
        {
            var found = header.IndexOf(column.Header, at, StringComparison.Ordinal);
            Assert.True(found >= at, $"{table} at {width}: header {column.Header} missing or out of order in \"{header}\"");
            at = found + column.Header.Length;
        }

        foreach (var line in lines)
        {
            Assert.False(line.EndsWith(' '), $"{table} at {width}: trailing padding in \"{line}\"");
            Assert.DoesNotContain(line, char.IsControl);
        }

        // Every row has a cell under every header: cells start where their header does.
        var starts = writer.Columns.Select(c => header.IndexOf(c.Header, StringComparison.Ordinal)).ToArray();
        foreach (var line in lines.Skip(1))
        {
            foreach (var start in starts.Skip(1))
            {
                Assert.True(line.Length > start && line[start - 1] == ' ' && line[start] != ' ', $"{table} at {width}: no cell at column {start} in \"{line}\"");
            }
        }

        var fixedWidth = FixedWidth(writer, lines);
        if (width > 0 && fixedWidth <= width)
        {
            Assert.All(lines, l => Assert.True(TableWriter.Length(l) <= width, $"{table} at {width}: {TableWriter.Length(l)} characters: \"{l}\""));
        }

        if (width == 0)
        {
            Assert.DoesNotContain(lines, l => l.Contains('…', StringComparison.Ordinal)); // piped: whole cells for scripts
        }
    }

    [Fact]
    public void Render_OnANarrowTerminal_CutsOnlyFreeText_WithAnEllipsis()
    {
        var table = new TableWriter(new Column("NAME"), new Column("STATE"), new Column("REASON", Free: true));
        table.AddRow("x1", "failed", EveryTable.Long);

        var lines = table.Lines(new TerminalInfo(60, false)).ToList();

        Assert.Equal("NAME   STATE    REASON", lines[0]);
        Assert.Equal(60, TableWriter.Length(lines[1]));
        Assert.StartsWith("x1     failed   the kubelet did not", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("…", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Render_WhenFixedColumnsAloneExceedTheWidth_LinesRunOnRatherThanLoseAColumn()
    {
        var table = new TableWriter(new Column("NAME"), new Column("ARCH"), new Column("DETAIL", Free: true));
        table.AddRow(new string('n', 70), "arm64", "a long detail about what happened");

        var row = table.Lines(new TerminalInfo(40, false)).Last();

        Assert.Equal($"{new string('n', 70)}   arm64   a long deta…", row); // free text down to its floor, then the line runs on
        Assert.Contains("arm64", row, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_HostileCells_ControlCharactersAndEscapesBecomeSpaces()
    {
        var table = new TableWriter("NAME", "LAST");
        table.AddRow("pi\n4", EveryTable.Hostile);

        var lines = table.Lines(TerminalInfo.Piped).ToList();

        Assert.Equal(2, lines.Count);
        Assert.Equal("pi 4   line one line two and a  [31mred [0m escape", lines[1]);
    }

    [Fact]
    public void Render_Colour_OnlyOnATerminal_AndPaddingCountsOnlyTheText()
    {
        var table = new TableWriter("STATUS", "NAME");
        table.AddRow(Cell.Status("online"), "x1");

        var plain = table.Lines(new TerminalInfo(80, Color: false)).Last();
        var coloured = table.Lines(new TerminalInfo(80, Color: true)).Last();

        Assert.Equal("online   x1", plain);
        Assert.Equal("\u001b[32monline\u001b[0m   x1", coloured);
    }

    [Fact]
    public void AddRow_OfTheWrongLength_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new TableWriter("A", "B").AddRow("only one"));

    /// <summary>The width of the line without its free-text columns' excess: what no cutting can reduce.</summary>
    private static int FixedWidth(TableWriter writer, List<string> lines)
    {
        var total = 0;
        for (var i = 0; i < writer.Columns.Count; i++)
        {
            var column = writer.Columns[i];
            var cells = lines.Skip(1).Select(l => Regex.Split(l, "   +")).Where(c => c.Length > i).Select(c => c[i].Length);
            var widest = Math.Max(column.Header.Length, cells.DefaultIfEmpty(0).Max());
            total += column.Free ? Math.Max(TableWriter.MinFree, column.Header.Length) : widest;
        }

        return total + (TableWriter.Gap.Length * (writer.Columns.Count - 1));
    }
}

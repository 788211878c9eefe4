using Spectre.Console;

namespace Fleet.Ctl.Output;

/// <summary>A Spectre console over a writer: colours on a terminal, plain text when redirected.</summary>
internal static class Terminal
{
    public static IAnsiConsole For(TextWriter writer)
    {
        var interactive = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive)
        {
            console.Profile.Width = 240; // scripts get whole lines, not wrapped cells
        }

        return console;
    }

    /// <summary>A kubectl-like table: no borders, upper-case headers.</summary>
    public static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.None).HideRowSeparators();
        foreach (var h in headers)
        {
            table.AddColumn(new TableColumn(h) { Padding = new Padding(0, 0, 3, 0), NoWrap = true });
        }

        return table;
    }

    public static string StatusMarkup(string status) => status switch
    {
        "ok" or "online" => $"[green]{status}[/]",
        "warning" or "stale" => $"[yellow]{status}[/]",
        "failing" or "offline" => $"[red]{status}[/]",
        _ => $"[grey]{Markup.Escape(status)}[/]",
    };

    public static string OrDash(string value) => string.IsNullOrEmpty(value) ? "-" : Markup.Escape(value);
}

using Spectre.Console;

namespace Fleet.Ctl.Output;

/// <summary>The Spectre console that live views (`rollout watch`, `run` on a terminal) redraw on; tables are <see cref="TableWriter"/>.</summary>
internal static class Terminal
{
    public static IAnsiConsole Live(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Detect,
    });
}

namespace Fleet.Ctl.Output;

/// <summary>
/// What a table may assume about where it is printed: a width only on a terminal (piped output has
/// none, so nothing is cut and scripts get whole lines), and colour only on a terminal without NO_COLOR.
/// </summary>
internal sealed record TerminalInfo(int? Width, bool Color)
{
    public static readonly TerminalInfo Piped = new(null, false);

    public static TerminalInfo For(TextWriter writer, IReadOnlyDictionary<string, string?> environment)
    {
        if (!ReferenceEquals(writer, Console.Out) || Console.IsOutputRedirected)
        {
            return Piped;
        }

        int? width = null;
        try
        {
            width = Console.WindowWidth > 0 ? Console.WindowWidth : null;
        }
        catch (IOException)
        {
            // no size known (a terminal without a window): run lines on
        }

        return new TerminalInfo(width, !environment.ContainsKey("NO_COLOR"));
    }
}

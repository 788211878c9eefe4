namespace Fleet.Ctl.Output;

/// <summary>One table cell: its text and the colour it has on a colour terminal.</summary>
internal readonly record struct Cell(string Text, CellColor Color = CellColor.None)
{
    public static implicit operator Cell(string text) => new(text);

    /// <summary>"-" for an empty value, as kubectl shows it.</summary>
    public static Cell OrDash(string? text) => new(string.IsNullOrEmpty(text) ? "-" : text);

    /// <summary>A status word coloured by what it means: online/ok green, stale/warning yellow, offline/failing red.</summary>
    public static Cell Status(string status) => new(status, status switch
    {
        "ok" or "online" or "succeeded" or "valid" or "already satisfied" => CellColor.Green,
        "warning" or "stale" or "paused" or "aborting" or "cancelled" or "rolled-back" => CellColor.Yellow,
        "failing" or "offline" or "failed" or "aborted" or "revoked" => CellColor.Red,
        "running" => CellColor.Blue,
        _ => CellColor.Grey,
    });
}

internal enum CellColor
{
    None,
    Green,
    Yellow,
    Red,
    Blue,
    Grey,
}

internal static class CellColors
{
    public static string Paint(this CellColor color, string text) => color switch
    {
        CellColor.Green => $"\u001b[32m{text}\u001b[0m",
        CellColor.Yellow => $"\u001b[33m{text}\u001b[0m",
        CellColor.Red => $"\u001b[31m{text}\u001b[0m",
        CellColor.Blue => $"\u001b[34m{text}\u001b[0m",
        CellColor.Grey => $"\u001b[90m{text}\u001b[0m",
        _ => text,
    };
}

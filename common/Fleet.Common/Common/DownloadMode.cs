namespace Fleet;

/// <summary>
/// The modes a downloaded file may get: at most rwxr-xr-x (0755). Root installs it, so no write for
/// group or others, no set-uid, set-gid or sticky bit. Checked where a plan or `fleetctl run` is
/// read (so it is refused before anything is sent) and again by the agent (the last word).
/// </summary>
public static class DownloadMode
{
    public const uint Max = 0x1ED; // 0755

    public const uint Default = 0x1A4; // 0644, when a step gives none

    /// <summary>The problem with <paramref name="mode"/>, or null when it is allowed (0 means the default).</summary>
    public static string? Problem(uint mode) =>
        (mode & ~Max) == 0 ? null : $"mode {Octal(mode)} is not allowed: at most 0755 (no write for group or others, no set-uid, set-gid or sticky bit)";

    public static string Octal(uint mode) => Convert.ToString(mode, 8).PadLeft(4, '0');
}

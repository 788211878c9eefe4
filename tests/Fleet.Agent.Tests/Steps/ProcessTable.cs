namespace Fleet.Agent.Tests.Steps;

/// <summary>Reads /proc: a process's children, and whether it still runs (a zombie does not).</summary>
internal static class ProcessTable
{
    public static int[] Children(int pid) =>
        Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var p) ? p : 0)
            .Where(p => p > 0 && Stat(p) is { } stat && stat.ParentPid == pid)
            .ToArray();

    public static bool IsRunning(int pid) => Stat(pid) is { } stat && stat.State != 'Z' && stat.State != 'X';

    /// <summary>State and parent from /proc/PID/stat ("pid (comm) S ppid ..."; comm may hold spaces).</summary>
    private static (char State, int ParentPid)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // gone
        }
    }
}

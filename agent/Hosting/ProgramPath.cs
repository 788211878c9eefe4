namespace Fleet.Agent.Hosting;

/// <summary>
/// A program the agent runs on the host (kubeadm, systemctl), as configured: a bare name is looked up
/// on the agent's PATH when it is run (so a kubeadm installed a moment ago is found), a path is used
/// as given. Programs are not files the agent manages, so --root does not apply to them: a sandboxed
/// agent runs whatever program it is told to, which is how tests point it at the doubles.
/// </summary>
public static class ProgramPath
{
    /// <summary>A setting's value: a bare name (no '/') or an absolute path; null when it is neither.</summary>
    public static string? Problem(string value) =>
        string.IsNullOrWhiteSpace(value) ? "must not be empty"
        : value.Trim() != value ? $"\"{value}\" has leading or trailing spaces"
        : value.Contains('/') && !Path.IsPathFullyQualified(value) ? $"\"{value}\" is neither a bare program name (looked up on PATH) nor an absolute path"
        : value.StartsWith('-') ? $"\"{value}\" starts with '-'"
        : null;

    /// <summary>The file to execute, or null when a bare name is on no PATH folder or a path does not exist.</summary>
    public static string? Find(string configured, string? pathVariable = null)
    {
        if (configured.Contains('/'))
        {
            return File.Exists(configured) ? configured : null;
        }

        var folders = (pathVariable ?? Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries);
        return folders.Where(Path.IsPathFullyQualified)
            .Select(folder => Path.Join(folder, configured))
            .FirstOrDefault(IsExecutableFile);
    }

    /// <summary>Where it was looked for, for a message; with <paramref name="showPath"/>, the PATH folders too.</summary>
    public static string Describe(string configured, bool showPath = false) =>
        configured.Contains('/') ? $"no {Path.GetFileName(configured)} at {configured}"
        : showPath ? $"no {configured} on PATH ({Environment.GetEnvironmentVariable("PATH")})"
        : $"no {configured} on PATH";

    private static bool IsExecutableFile(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}

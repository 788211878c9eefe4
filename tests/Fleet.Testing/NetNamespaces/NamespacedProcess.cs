using System.Diagnostics;

namespace Fleet.Testing.NetNamespaces;

/// <summary>
/// A long-running program started inside a network namespace (`ip netns exec` execs it, so the PID is
/// the program's), its output appended to a log file; killed by its PID on dispose.
/// </summary>
public sealed class NamespacedProcess : IAsyncDisposable
{
    private readonly Process _process;

    private NamespacedProcess(Process process, string log) => (_process, LogFile) = (process, log);

    public string LogFile { get; }

    public bool HasExited => _process.HasExited;

    public string Log() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log)";

    public static NamespacedProcess Start(NetNamespace ns, string log, string program, params string[] args)
    {
        // The shell sends the output to the file, so no pipe needs draining; exec keeps one PID.
        var start = ns.StartInfo("/bin/sh", ["-c", "exec \"$0\" \"$@\" >>\"$FLEET_TEST_LOG\" 2>&1", program, .. args]);
        start.Environment["FLEET_TEST_LOG"] = log;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program} in {ns.Name}");
        return new NamespacedProcess(process, log);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().DefaultTimeout();
        }

        _process.Dispose();
    }
}

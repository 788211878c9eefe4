using System.Diagnostics;
using System.Net;

namespace Fleet.Testing;

/// <summary>
/// fleet-coordinator as a separate process (the Release/Debug build output), for tests that kill it with
/// SIGKILL and start it again on the same data folder, port and socket.
/// </summary>
public sealed class CoordinatorProcess : IAsyncDisposable
{
    private readonly string _dir;
    private Process? _process;
    private StreamWriter? _log;

    public CoordinatorProcess(string dir)
    {
        _dir = dir;
        Directory.CreateDirectory(dir);
        Port = FreePort.Next();
    }

    public int Port { get; }

    public Uri AgentUri => new($"https://127.0.0.1:{Port}");

    public string Socket => Path.Join(_dir, "control.sock");

    public string DataDir => Path.Join(_dir, "data");

    public string LogFile => Path.Join(_dir, "coordinator.log");

    public int Starts { get; private set; }

    public static string Executable => Repo.BuildOutput("coordinator/Fleet.Coordinator", "fleet-coordinator");

    /// <summary>Starts it and waits until its control socket answers.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(Executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--listen", $"{IPAddress.Loopback}:{Port}", "--data-dir", DataDir, "--socket", Socket, "--metrics-listen", "off", "--heartbeat-interval", "500ms" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Executable}");
        Starts++;
        var log = _log = File.AppendText(LogFile);
        log.AutoFlush = true;
        await log.WriteLineAsync($"--- start {Starts}, pid {_process.Id}");
        _process.OutputDataReceived += (_, e) => Append(log, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.Until(() => !_process.HasExited && Answers(Socket), "the coordinator's control socket answers");
    }

    private static bool Answers(string socket)
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false; // not yet bound, or the socket file a killed coordinator left behind
        }
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (_process is { } p)
        {
            _process = null;
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync().DefaultTimeout();
            p.Dispose();
        }

        if (_log is { } log)
        {
            _log = null;
            lock (log)
            {
                log.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // the last lines of a killed process, after the test closed its log
            }
        }
    }
}

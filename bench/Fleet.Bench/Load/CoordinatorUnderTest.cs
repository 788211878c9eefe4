using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Fleet.Testing;
using Fleet.V1;
using Grpc.Net.Client;

namespace Fleet.Bench.Load;

/// <summary>
/// fleet-coordinator as its own process (the Release build), so its CPU time and RSS are its own:
/// agents on a loopback port, metrics on another, the control API on a unix socket. Killed with
/// SIGKILL and started again on the same folder for the restart scenario.
/// </summary>
internal sealed class CoordinatorUnderTest : IAsyncDisposable
{
    private readonly string _dir;
    private readonly TimeSpan _heartbeat;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private Process? _process;
    private GrpcChannel? _control;

    public CoordinatorUnderTest(string dir, TimeSpan heartbeat, IReadOnlyDictionary<string, string>? environment = null)
    {
        _dir = dir;
        _heartbeat = heartbeat;
        _environment = environment ?? new Dictionary<string, string>();
        Port = FreePort.Next();
        MetricsPort = FreePort.Next();
    }

    public int Port { get; }

    public int MetricsPort { get; }

    public Uri AgentUri => new($"https://127.0.0.1:{Port}");

    public string Socket => Path.Join(_dir, "control.sock");

    public string LogFile => Path.Join(_dir, "coordinator.log");

    public int Pid => _process?.Id ?? throw new InvalidOperationException("the coordinator is not running");

    public static string Executable => Path.Join(Repo.Root, "coordinator/Fleet.Coordinator/bin/Release/net10.0/fleet-coordinator");

    public ControlService.ControlServiceClient Control => new(_control ??= ControlChannel(Socket));

    /// <summary>Starts it; returns once the agent port accepts connections and the control socket answers.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: run `dotnet build coordinator/Fleet.Coordinator -c Release` first");
        }

        var start = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            "--listen", $"127.0.0.1:{Port}", "--data-dir", Path.Join(_dir, "data"), "--socket", Socket,
            "--metrics-listen", $"127.0.0.1:{MetricsPort}", "--heartbeat-interval", $"{(int)_heartbeat.TotalMilliseconds}ms",
        })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Executable}");
        var log = File.AppendText(LogFile);
        log.AutoFlush = true;
        _process.OutputDataReceived += (_, e) => Append(log, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(Accepts(Port) && Answers(Socket)))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the coordinator did not start (exit {(_process.HasExited ? _process.ExitCode : "none")}); see {LogFile}");
            }

            await Task.Delay(20, ct);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, connections drop as on a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is { } p)
        {
            _process = null;
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            p.Dispose();
        }

        _control?.Dispose();
        _control = null;
    }

    /// <summary>CPU time (user + system) the process has used so far, in seconds, and its RSS and peak RSS in MiB, from /proc.</summary>
    public ProcSample Sample() => ProcSample.Of(Pid);

    /// <summary>The coordinator's Prometheus metrics, one value per series as printed.</summary>
    public async Task<Dictionary<string, double>> MetricsAsync(CancellationToken ct)
    {
        var text = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort}/metrics"), ct);
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                values[line[..space]] = value;
            }
        }

        return values;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _http.Dispose();
    }

    private static GrpcChannel ControlChannel(string socketPath) => GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 64 * 1024 * 1024,
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = UnixSocket.Connect(socketPath),
        },
    });

    private static bool Accepts(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool Answers(string socket)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socket));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }
}

/// <summary>One reading of a process from /proc: CPU seconds so far, RSS and peak RSS.</summary>
internal readonly record struct ProcSample(double CpuSeconds, double RssMiB, double PeakRssMiB, double At)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static ProcSample Of(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields from 3 (state) on
        var cpu = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        double rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kib(line) / 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kib(line) / 1024;
            }
        }

        return new ProcSample(cpu, rss, peak, Clock.NowMs);
    }

    /// <summary>CPU use between two samples, in percent of one core (200 % is both cores of this machine).</summary>
    public static double CpuPercent(ProcSample from, ProcSample to) => (to.CpuSeconds - from.CpuSeconds) / ((to.At - from.At) / 1000) * 100;

    private static double Kib(string line) => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}

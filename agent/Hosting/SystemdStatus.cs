using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Hosting;

/// <summary>
/// What the agent tells systemd (Type=notify): READY=1 once, when it is connected to the coordinator
/// or has started retrying; STATUS= with the connection state and the last step on every change;
/// WATCHDOG=1 from the main loop when the unit sets WatchdogSec= (WATCHDOG_USEC); STOPPING=1 on the
/// way out. Without NOTIFY_SOCKET (not run by systemd, tests) nothing is sent; the status text is kept.
/// </summary>
public sealed partial class SystemdStatus(SystemdNotifySocket socket, TimeSpan? watchdogTimeout, ILogger<SystemdStatus> logger)
{
    private const int MaxPartLength = 300;
    private readonly Lock _gate = new();
    private bool _ready;
    private bool _sendFailed;
    private string _connection = "starting";
    private string _lastStep = "none";

    /// <summary>From the variables systemd sets: NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID.</summary>
    public static SystemdStatus FromEnvironment(Func<string, string?> environment, int processId, ILogger<SystemdStatus> logger) =>
        new(new SystemdNotifySocket(environment(SystemdNotifySocket.Variable)),
            WatchdogTimeout(environment("WATCHDOG_USEC"), environment("WATCHDOG_PID"), processId), logger);

    /// <summary>The watchdog timeout systemd asks this process to honour, or null when there is none (or it is meant for another process).</summary>
    public static TimeSpan? WatchdogTimeout(string? usec, string? watchdogPid, int processId)
    {
        if (!long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds <= 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(watchdogPid) && watchdogPid != processId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(microseconds);
    }

    /// <summary>How often the main loop pings: half the watchdog timeout, as sd_watchdog_enabled(3) advises; null without a watchdog.</summary>
    public TimeSpan? WatchdogPing => watchdogTimeout / 2;

    /// <summary>The STATUS= text as it stands.</summary>
    public string Status
    {
        get
        {
            lock (_gate)
            {
                return StatusText();
            }
        }
    }

    public void Connected(string coordinator, string nodeId) =>
        Update(connection: $"connected to {coordinator} as node {nodeId}", ready: true);

    public void Retrying(string coordinator, int attempt, string reason, TimeSpan delay) =>
        Update(connection: $"retrying {coordinator} in {delay.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s (attempt {attempt}: {reason})", ready: true);

    public void StepStarted(string id, string kind) =>
        Update(step: $"{kind} {id} running");

    public void StepFinished(string id, string kind, string outcome) =>
        Update(step: $"{kind} {id} {outcome.ToLowerInvariant()}");

    public void Stopping()
    {
        lock (_gate)
        {
            _connection = "stopping";
            Send($"STOPPING=1\nSTATUS={StatusText()}");
        }
    }

    /// <summary>Tells systemd's watchdog the main loop is alive (only when the unit asked for it).</summary>
    public void Watchdog()
    {
        if (WatchdogPing is not null)
        {
            lock (_gate)
            {
                Send("WATCHDOG=1");
            }
        }
    }

    /// <summary>
    /// Awaits <paramref name="task"/> (a session, a backoff wait) from the main loop, pinging the
    /// watchdog every <see cref="WatchdogPing"/> until it completes; then returns or throws as it did.
    /// </summary>
    public async Task WatchdogWhile(Task task, TimeProvider time)
    {
        if (WatchdogPing is { } every)
        {
            while (true)
            {
                Watchdog();
                if (await Task.WhenAny(task, Task.Delay(every, time)) == task)
                {
                    break;
                }
            }
        }

        await task;
    }

    private void Update(string? connection = null, string? step = null, bool ready = false)
    {
        lock (_gate)
        {
            _connection = connection is null ? _connection : OneLine(connection);
            _lastStep = step is null ? _lastStep : OneLine(step);
            var first = ready && !_ready;
            _ready |= ready;
            Send((first ? "READY=1\n" : "") + $"STATUS={StatusText()}");
        }
    }

    private string StatusText() => $"{_connection}; last step: {_lastStep}";

    private void Send(string assignments)
    {
        try
        {
            socket.Send(assignments);
        }
        catch (SocketException ex)
        {
            if (!_sendFailed)
            {
                _sendFailed = true;
                Log.NotifyFailed(logger, ex.Message);
            }
        }
    }

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= MaxPartLength ? line : line[..MaxPartLength] + "...";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Cannot notify systemd through NOTIFY_SOCKET: {Reason}; its status and watchdog are not updated")]
        public static partial void NotifyFailed(ILogger logger, string reason);
    }
}

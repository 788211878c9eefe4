using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Fleet.Agent.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Steps;

/// <summary>
/// Runs a host program for a step: its stdout and stderr lines become the step's log lines as they
/// come (scrubbed of the step's secrets, each cut to a bounded length, at most a bounded number per
/// run); a non-zero exit fails the step with the code and the last stderr line; a cancel or the
/// step's timeout kills the program and every process it started.
/// </summary>
public sealed class StepProcess(TimeProvider time, ILogger<StepProcess> logger)
{
    internal const int MaxForwardedLines = 500;
    internal const int MaxLineLength = 1000;
    private const int MaxReasonLength = 400;

    /// <summary>How long to wait for the output pipes after the program exited or was killed: a
    /// process it left behind may hold them open.</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(5);

    /// <summary>Runs the command to a zero exit; throws <see cref="StepFailedException"/> otherwise.</summary>
    public async Task RunAsync(ProgramCommand command, StepProgress progress, CancellationToken ct) => await RunForLastLineAsync(command, progress, ct);

    /// <summary>As <see cref="RunAsync"/>, and returns the program's last line on stdout (scrubbed, cut like every
    /// forwarded line; null when it printed none), e.g. etcdctl's one line of JSON.</summary>
    public async Task<string?> RunForLastLineAsync(ProgramCommand command, StepProgress progress, CancellationToken ct)
    {
        var path = ProgramPath.Find(command.Program)
            ?? throw new StepFailedException($"cannot run {command.What}: {ProgramPath.Describe(command.Program, showPath: true)} (set it with {command.Setting})");
        var commandLine = command.Scrubber.Scrub(string.Join(' ', [path, .. command.Arguments.Select(Quote)]));
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        progress.Log($"running {commandLine}");
        AgentLog.ProcessStarting(logger, progress.StepId, commandLine);
        Process process;
        try
        {
            process = await ProcessRunner.StartAsync(start, ct, command.Environment);
        }
        catch (Win32Exception ex)
        {
            throw new StepFailedException(command.Scrubber.Scrub($"cannot run {path}: {ex.Message}"));
        }

        using (process)
        {
            process.StandardInput.Close(); // nothing to answer: a prompt gets end of input, not a hang
            var output = new Output(command.Scrubber, progress);
            var readers = Task.WhenAll(
                Task.Run(() => PumpAsync(process.StandardOutput, output, isError: false), CancellationToken.None),
                Task.Run(() => PumpAsync(process.StandardError, output, isError: true), CancellationToken.None));
            try
            {
                await process.WaitForExitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                Kill(process, command.What, progress.StepId);
                await WaitForKilledAsync(process);
                await DrainAsync(readers, output, command.What, progress.StepId);
                throw;
            }

            await DrainAsync(readers, output, command.What, progress.StepId);
            AgentLog.ProcessExited(logger, progress.StepId, command.What, process.ExitCode);
            if (process.ExitCode != 0)
            {
                var last = output.LastError is { } error ? $": {error.Trim()}"
                    : output.LastOutput is { } line ? $" and printed nothing on stderr; its last line: {line.Trim()}"
                    : " and printed nothing";
                throw new StepFailedException(Cut($"{command.What} exited with code {process.ExitCode}{last}", MaxReasonLength));
            }

            return output.LastOutput;
        }
    }

    private void Kill(Process process, string what, string stepId)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            AgentLog.ProcessKilled(logger, stepId, what, process.Id);
        }
        catch (InvalidOperationException)
        {
            // It exited on its own in the meantime: nothing left to kill.
        }
    }

    private async Task WaitForKilledAsync(Process process)
    {
        try
        {
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(DrainGrace, time);
        }
        catch (TimeoutException)
        {
            // SIGKILL cannot be ignored; a process stuck in the kernel is reported by the drain below.
        }
    }

    /// <summary>Waits briefly for both pipes to end, then stops forwarding whatever still comes.</summary>
    private async Task DrainAsync(Task readers, Output output, string what, string stepId)
    {
        try
        {
            await readers.WaitAsync(DrainGrace, time);
        }
        catch (TimeoutException)
        {
            AgentLog.ProcessOutputLeftOpen(logger, stepId, what, DrainGrace.TotalSeconds);
        }

        output.Close();
    }

    /// <summary>Reads lines of at most <see cref="MaxLineLength"/> characters (plus room to scrub a secret cut by the limit).</summary>
    private static async Task PumpAsync(StreamReader reader, Output output, bool isError)
    {
        var buffer = new char[4096];
        var line = new StringBuilder();
        var cap = MaxLineLength + output.LongestSecret;
        var cut = false;
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer)) > 0)
            {
                foreach (var c in buffer.AsSpan(0, read))
                {
                    if (c is '\n' or '\r')
                    {
                        output.Add(line.ToString(), cut, isError);
                        line.Clear();
                        cut = false;
                    }
                    else if (line.Length < cap)
                    {
                        line.Append(c);
                    }
                    else
                    {
                        cut = true;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException)
        {
            // The pipe was closed under us after the drain grace: the run is over, and so is its output.
        }

        output.Add(line.ToString(), cut, isError);
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or '@' or ',' or '+')
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    /// <summary>The run's output, shared by the two pipe readers: scrubbed, bounded, forwarded in order of arrival.</summary>
    private sealed class Output(SecretScrubber scrubber, StepProgress progress)
    {
        private readonly Lock _gate = new();
        private int _forwarded;
        private int _dropped;
        private bool _closed;

        public int LongestSecret => scrubber.LongestSecret;

        public string? LastError { get; private set; }

        public string? LastOutput { get; private set; }

        public void Add(string raw, bool cut, bool isError)
        {
            if (raw.Trim().Length == 0)
            {
                return;
            }

            var line = Cut(scrubber.Scrub(raw.TrimEnd()), MaxLineLength);
            if (cut && !line.EndsWith('…'))
            {
                line += "…";
            }

            lock (_gate)
            {
                if (_closed)
                {
                    return;
                }

                if (isError)
                {
                    LastError = line;
                }
                else
                {
                    LastOutput = line;
                }

                if (_forwarded < MaxForwardedLines)
                {
                    _forwarded++;
                    progress.Log(line);
                }
                else
                {
                    _dropped++;
                }
            }
        }

        public void Close()
        {
            lock (_gate)
            {
                _closed = true;
                if (_dropped > 0)
                {
                    progress.Log($"… {_dropped} more output lines were not forwarded (at most {MaxForwardedLines} per run)");
                }
            }
        }
    }
}

using System.Diagnostics;

namespace Fleet.Agent.Hosting;

public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs a program to completion with a timeout; the process is killed when the time is up.</summary>
public interface IProcessRunner
{
    Task<ProcessResult> RunAsync(string path, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct);
}

public sealed class ProcessRunner : IProcessRunner
{
    private const int TextFileBusy = 26; // ETXTBSY

    /// <summary>
    /// Starts the process with a scrubbed environment (<see cref="ChildEnvironment"/>): every program
    /// the agent runs is started here. Retries briefly on ETXTBSY, which exec reports for a file that was just
    /// written while another thread forked (the child briefly holds the writer's descriptor).
    /// </summary>
    /// <param name="set">variables set after the scrub (the step's own, e.g. ETCDCTL_API=3)</param>
    internal static async Task<Process> StartAsync(ProcessStartInfo start, CancellationToken ct, IReadOnlyDictionary<string, string>? set = null)
    {
        ChildEnvironment.Scrub(start.Environment);
        foreach (var (name, value) in set ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
            }
            catch (System.ComponentModel.Win32Exception ex) when (ex.NativeErrorCode == TextFileBusy && attempt < 5)
            {
                await Task.Delay(20 * attempt, ct);
            }
        }
    }

    public async Task<ProcessResult> RunAsync(string path, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = await StartAsync(start, ct);
        process.StandardInput.Close();
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeoutCts.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeoutCts.Token);
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token);
            return new ProcessResult(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (ct.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException($"{path} did not finish within {timeout.TotalSeconds:0.#} s");
        }
    }
}

using System.Diagnostics;

namespace Fleet.Testing;

public sealed record ProcessOutput(int Code, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;
}

/// <summary>Runs a program to its end with its output captured, bounded by the default test timeout (or the one given).</summary>
public static class ProcessRun
{
    public static Task<ProcessOutput> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, params string[] unset) =>
        RunWithInputAsync(file, args, null, Eventually.Timeout, environment, unset);

    public static Task<ProcessOutput> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, params string[] unset) =>
        RunWithInputAsync(file, args, null, timeout, environment, unset);

    /// <summary>The same, with <paramref name="stdin"/> written to its standard input (then closed); null: no input.</summary>
    public static Task<ProcessOutput> RunWithInputAsync(string file, IEnumerable<string> args, string? stdin, IReadOnlyDictionary<string, string>? environment = null, params string[] unset) =>
        RunWithInputAsync(file, args, stdin, Eventually.Timeout, environment, unset);

    public static async Task<ProcessOutput> RunWithInputAsync(string file, IEnumerable<string> args, string? stdin, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, params string[] unset)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        foreach (var name in unset)
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not exit within {timeout.TotalSeconds} s");
        }
        return new ProcessOutput(process.ExitCode, await stdout, await stderr);
    }
}

using System.CommandLine;

namespace Fleet.CommandDocs;

/// <summary>
/// A command line that does not parse (an unknown option, a missing value) is a usage error: each problem
/// on stderr as "PROGRAM: PROBLEM", nothing run, exit 2, as the man pages say. For the agent's unit 2 is
/// in RestartPreventExitStatus, so a wrong flag is not restarted in a loop.
/// </summary>
internal static class UsageErrors
{
    public const int ExitCode = 2;

    public static Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter stderr)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count == 0)
        {
            return parse.InvokeAsync();
        }

        foreach (var error in parse.Errors)
        {
            stderr.WriteLine($"{root.Name}: {error.Message}");
        }

        stderr.WriteLine($"{root.Name}: see {root.Name} --help");
        return Task.FromResult(ExitCode);
    }
}

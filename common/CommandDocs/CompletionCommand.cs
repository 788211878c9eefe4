using System.CommandLine;

namespace Fleet.CommandDocs;

/// <summary>`PROGRAM completion bash|zsh|fish`: the script on stdout, generated from the program's command tree (the packages install it).</summary>
internal static class CompletionCommand
{
    public static Command Create(Func<Command> root, ManPageInfo info)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong(CompletionScripts.Shells);
        var command = new Command("completion", $"Print a shell completion script: source <({info.Name} completion bash); zsh and fish alike") { shell };
        command.SetAction(async (parse, ct) =>
        {
            await parse.InvocationConfiguration.Output.WriteAsync(CompletionScripts.For(parse.GetValue(shell)!, root(), info).AsMemory(), ct);
            return 0;
        });
        return command;
    }
}

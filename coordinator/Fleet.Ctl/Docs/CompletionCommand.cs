using System.CommandLine;

namespace Fleet.Ctl.Docs;

/// <summary>fleetctl completion bash|zsh|fish: the script on stdout (the packages install it).</summary>
internal static class CompletionCommand
{
    public static Command Create(CtlContext ctx, Func<Command> root)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong(CompletionScripts.Shells);
        var command = new Command("completion", "Print a shell completion script: source <(fleetctl completion bash); zsh and fish alike") { shell };
        command.SetAction(async (parse, ct) =>
        {
            await ctx.Stdout.WriteAsync(CompletionScripts.For(parse.GetValue(shell)!, root(), "fleetctl").AsMemory(), ct);
            return 0;
        });
        return command;
    }
}

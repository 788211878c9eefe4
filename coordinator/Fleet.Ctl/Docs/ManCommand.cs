using System.CommandLine;

namespace Fleet.Ctl.Docs;

/// <summary>fleetctl man: the fleetctl(1) page generated from the command tree, on stdout (the packages install it).</summary>
internal static class ManCommand
{
    public static Command Create(CtlContext ctx, Func<Command> root)
    {
        var command = new Command("man", "Print the fleetctl(1) man page (roff), generated from the commands: fleetctl man | man -l -") { Hidden = false };
        command.SetAction(async (parse, ct) =>
        {
            await ctx.Stdout.WriteAsync(ManPage.For(root(), "fleetctl", "drive a Fleet coordinator").AsMemory(), ct);
            return 0;
        });
        return command;
    }
}

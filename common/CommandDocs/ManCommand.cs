using System.CommandLine;

namespace Fleet.CommandDocs;

/// <summary>`PROGRAM man`: the program's man page generated from its command tree, on stdout (the packages install it).</summary>
internal static class ManCommand
{
    public static Command Create(Func<Command> root, ManPageInfo info)
    {
        var command = new Command("man", $"Print the {info.Name}(1) man page (roff), generated from the commands: {info.Name} man | man -l -");
        command.SetAction(async (parse, ct) =>
        {
            await parse.InvocationConfiguration.Output.WriteAsync(ManPage.For(root(), info).AsMemory(), ct);
            return 0;
        });
        return command;
    }
}

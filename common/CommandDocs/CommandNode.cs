using System.CommandLine;

namespace Fleet.CommandDocs;

/// <summary>One command of the tree as completion and man pages need it: its path, subcommands and options.</summary>
internal sealed record CommandNode(IReadOnlyList<string> Path, Command Command)
{
    public IEnumerable<Command> Subcommands => Command.Subcommands.Where(c => !c.Hidden);

    /// <summary>Its own options and the recursive ones of its ancestors, help excluded.</summary>
    public IEnumerable<Option> Options(Command root) =>
        Command.Options.Concat(Path.Count > 1 ? root.Options.Where(o => o.Recursive) : [])
            .Where(o => !o.Hidden && o.Name is not ("--help" or "--version"))
            .Distinct();

    /// <summary>The values its arguments accept when they are a fixed set (e.g. completion bash|zsh|fish), for completion.</summary>
    public IEnumerable<string> ArgumentValues =>
        Command.Arguments.SelectMany(a => a.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty)).Select(c => c.Label);

    public static IEnumerable<string> Names(Option o) => new[] { o.Name }.Concat(o.Aliases).Where(n => n.StartsWith('-'));

    /// <summary>Every command, depth first, starting at the root.</summary>
    public static IEnumerable<CommandNode> Walk(Command root, string name)
    {
        var stack = new Stack<CommandNode>([new CommandNode([name], root)]);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            yield return node;
            foreach (var sub in node.Subcommands.Reverse())
            {
                stack.Push(new CommandNode([.. node.Path, sub.Name], sub));
            }
        }
    }

    /// <summary>The values an option accepts when they are a fixed set (e.g. -o table|wide|json), for completion.</summary>
    public static IEnumerable<string> Values(Option o) => o.ValueType == typeof(bool) ? [] :
        o.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty).Select(c => c.Label).Where(l => !l.StartsWith('-'));
}

using System.CommandLine;
using System.Text;

namespace Fleet.Ctl.Docs;

/// <summary>A man page (roff, section 1) generated from the command tree: every command with its arguments and options.</summary>
internal static class ManPage
{
    public static string For(Command root, string name, string summary)
    {
        var s = new StringBuilder();
        s.AppendLine($".TH {name.ToUpperInvariant()} 1 \"\" \"Fleet\" \"Fleet manual\"");
        s.AppendLine(".SH NAME");
        s.AppendLine($"{Escape(name)} \\- {Escape(summary)}");
        s.AppendLine(".SH SYNOPSIS");
        s.AppendLine($".B {Escape(name)}");
        s.AppendLine(root.Subcommands.Any() ? "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR ..." : "[\\fIOPTIONS\\fR]");
        s.AppendLine(".SH DESCRIPTION");
        foreach (var paragraph in (root.Description ?? "").Split("\n\n"))
        {
            s.AppendLine(".PP");
            s.AppendLine(Escape(paragraph));
        }

        s.AppendLine(".SH OPTIONS");
        foreach (var option in root.Options.Where(o => !o.Hidden))
        {
            Option(s, option);
        }

        if (root.Subcommands.Any())
        {
            s.AppendLine(".SH COMMANDS");
            foreach (var node in CommandNode.Walk(root, name).Skip(1).Where(n => n.Command.Action is not null))
            {
                s.AppendLine(".SS " + Escape(Usage(node)));
                s.AppendLine(Escape(node.Command.Description ?? ""));
                foreach (var argument in node.Command.Arguments)
                {
                    s.AppendLine($".TP\n\\fI{Escape(argument.Name.ToUpperInvariant())}\\fR");
                    s.AppendLine(Escape(argument.Description ?? ""));
                }

                foreach (var option in node.Command.Options.Where(o => !o.Hidden && o.Name != "--help"))
                {
                    Option(s, option);
                }
            }
        }

        s.AppendLine(".SH EXIT STATUS");
        s.AppendLine("0 success; 1 the command failed; 2 usage error.");
        s.AppendLine(".SH SEE ALSO");
        s.AppendLine("fleetctl(1), fleet-agent(1), fleet-coordinator(1); docs/output.md, docs/rollouts.md and docs/catalog.md in the Fleet sources.");
        return s.ToString();
    }

    private static string Usage(CommandNode node) =>
        string.Join(' ', node.Path.Concat(node.Command.Arguments.Select(a => a.Name.ToUpperInvariant())));

    private static void Option(StringBuilder s, Option option)
    {
        var names = string.Join(", ", CommandNode.Names(option).OrderBy(n => n.Length));
        var value = option.Arity.MaximumNumberOfValues == 0 ? "" : $" \\fI{Escape(option.HelpName ?? option.Name.TrimStart('-').ToUpperInvariant())}\\fR";
        s.AppendLine($".TP\n\\fB{Escape(names)}\\fR{value}");
        s.AppendLine(Escape(option.Description ?? ""));
    }

    /// <summary>roff: backslashes doubled, a leading dot or quote neutralised, dashes kept as dashes.</summary>
    private static string Escape(string text)
    {
        var escaped = text.Replace("\\", "\\e", StringComparison.Ordinal).Replace("-", "\\-", StringComparison.Ordinal);
        return string.Join('\n', escaped.Split('\n').Select(l => l.StartsWith('.') || l.StartsWith('\'') ? "\\&" + l : l));
    }
}

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
        s.AppendLine(".SH ENVIRONMENT");
        foreach (var (variable, meaning) in Environment)
        {
            s.AppendLine($".TP\n.B {variable}\n{Escape(meaning)}");
        }

        s.AppendLine(".SH FILES");
        foreach (var (file, meaning) in Files)
        {
            s.AppendLine($".TP\n.I {Escape(file)}\n{Escape(meaning)}");
        }

        s.AppendLine(".SH SEE ALSO");
        s.AppendLine(".BR fleet-agent (1);");
        s.AppendLine(Escape("docs/output.md, docs/rollouts.md and docs/catalog.md in the Fleet sources."));
        return s.ToString();
    }

    private static readonly (string, string)[] Environment =
    [
        ("FLEET_SOCKET", "The control socket, when --socket is not given."),
        ("FLEET_SERVER", "https://HOST:PORT of the TCP control listener, when --server is not given; with FLEET_CERT, FLEET_KEY and FLEET_CA."),
        ("NO_COLOR", "When set, tables are never coloured."),
    ];

    private static readonly (string, string)[] Files =
    [
        ("/run/fleet/control.sock", "The coordinator's control socket (root and the fleet group)."),
        ("~/.config/fleet/config", "Defaults for socket, server, cert, key and ca (key: value lines)."),
        ("/etc/default/fleet-coordinator", "Options of the coordinator service."),
    ];

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

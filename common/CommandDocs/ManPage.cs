using System.CommandLine;
using System.Text;

namespace Fleet.CommandDocs;

/// <summary>What a man page and the completion scripts say beyond the command tree: the summary line, exit codes, environment, files, related pages, options that take a path.</summary>
internal sealed record ManPageInfo(string Name, string Summary)
{
    /// <summary>Options (any of their names) whose value is a path: the shells complete file names after them. Each must be in the tree.</summary>
    public IReadOnlyList<string> FileOptions { get; init; } = [];

    /// <summary>Paragraphs added to DESCRIPTION after the root command's own description.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public string ExitStatus { get; init; } = "0 success; 1 failure; 2 usage error.";

    public IReadOnlyList<(string Variable, string Meaning)> Environment { get; init; } = [];

    public IReadOnlyList<(string File, string Meaning)> Files { get; init; } = [];

    /// <summary>Other pages, as NAME(SECTION).</summary>
    public IReadOnlyList<string> SeeAlso { get; init; } = [];

    /// <summary>A sentence after the list of pages (documents that are not man pages).</summary>
    public string? SeeAlsoNote { get; init; }
}

/// <summary>A man page (roff, section 1) generated from a command tree: every command with its arguments and options.</summary>
internal static class ManPage
{
    public static string For(Command root, ManPageInfo info)
    {
        var name = info.Name;
        var s = new StringBuilder();
        s.AppendLine($".TH {name.ToUpperInvariant()} 1 \"\" \"Fleet\" \"Fleet manual\"");
        s.AppendLine(".SH NAME");
        s.AppendLine($"{Escape(name)} \\- {Escape(info.Summary)}");
        s.AppendLine(".SH SYNOPSIS");
        s.AppendLine($".B {Escape(name)}");
        s.AppendLine(!root.Subcommands.Any() ? "[\\fIOPTIONS\\fR]" : root.Action is null ? "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR ..." : "[\\fIOPTIONS\\fR] [\\fICOMMAND\\fR ...]");
        s.AppendLine(".SH DESCRIPTION");
        foreach (var paragraph in (root.Description ?? "").Split("\n\n").Concat(info.Notes))
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
        s.AppendLine(Escape(info.ExitStatus));
        if (info.Environment.Count > 0)
        {
            s.AppendLine(".SH ENVIRONMENT");
            foreach (var (variable, meaning) in info.Environment)
            {
                s.AppendLine($".TP\n.B {variable}\n{Escape(meaning)}");
            }
        }

        if (info.Files.Count > 0)
        {
            s.AppendLine(".SH FILES");
            foreach (var (file, meaning) in info.Files)
            {
                s.AppendLine($".TP\n.I {Escape(file)}\n{Escape(meaning)}");
            }
        }

        if (info.SeeAlso.Count > 0 || info.SeeAlsoNote is not null)
        {
            s.AppendLine(".SH SEE ALSO");
            for (var i = 0; i < info.SeeAlso.Count; i++)
            {
                var page = info.SeeAlso[i];
                var open = page.IndexOf('(', StringComparison.Ordinal);
                var last = i == info.SeeAlso.Count - 1;
                s.AppendLine($".BR {Escape(page[..open])} {page[open..]}{(last ? (info.SeeAlsoNote is null ? "" : ";") : ",")}");
            }

            if (info.SeeAlsoNote is { } note)
            {
                s.AppendLine(Escape(note));
            }
        }

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

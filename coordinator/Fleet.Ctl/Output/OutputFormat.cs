using System.CommandLine;
using System.CommandLine.Parsing;

namespace Fleet.Ctl.Output;

public enum OutputFormat
{
    Table,
    Wide,
    Json,
    Yaml,
}

/// <summary>
/// `-o, --output`: the formats a command accepts, case-insensitive, listed in its help as they are
/// typed. `wide` is offered only where it adds columns.
/// </summary>
internal static class OutputOption
{
    public static Option<OutputFormat> Create(bool wide = true) =>
        Of(OutputFormat.Table, wide ? [OutputFormat.Table, OutputFormat.Wide, OutputFormat.Json] : [OutputFormat.Table, OutputFormat.Json]);

    public static Option<OutputFormat> Of(OutputFormat defaultFormat, OutputFormat[] accepted)
    {
        var names = accepted.Select(Name).ToArray();
        var option = new Option<OutputFormat>("--output", "-o")
        {
            Description = $"Output format: {string.Join(", ", names)} (default {Name(defaultFormat)}; docs/output.md)",
            HelpName = string.Join("|", names),
            DefaultValueFactory = _ => defaultFormat,
            CustomParser = r => Parse(r, accepted),
        };
        option.CompletionSources.Clear(); // not the enum's own spellings: the names as typed
        option.CompletionSources.Add(names);
        return option;
    }

    public static string Name(OutputFormat format) => format.ToString().ToLowerInvariant();

    private static OutputFormat Parse(ArgumentResult r, OutputFormat[] accepted)
    {
        var value = r.Tokens.Count == 0 ? "" : r.Tokens[0].Value;
        foreach (var format in accepted)
        {
            if (string.Equals(Name(format), value.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return format;
            }
        }

        r.AddError($"--output: \"{value}\" is not an output format here ({string.Join(", ", accepted.Select(Name))})");
        return accepted[0];
    }
}

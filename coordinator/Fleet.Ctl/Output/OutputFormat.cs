using System.CommandLine;

namespace Fleet.Ctl.Output;

public enum OutputFormat
{
    Table,
    Wide,
    Json,
}

internal static class OutputOption
{
    public static Option<OutputFormat> Create() => new("--output", "-o")
    {
        Description = "Output format: table, wide or json",
        DefaultValueFactory = _ => OutputFormat.Table,
        CustomParser = r => r.Tokens[0].Value switch
        {
            "table" => OutputFormat.Table,
            "wide" => OutputFormat.Wide,
            "json" => OutputFormat.Json,
            var other => Fail(r, other),
        },
    };

    private static OutputFormat Fail(System.CommandLine.Parsing.ArgumentResult r, string value)
    {
        r.AddError($"-o: \"{value}\" is not an output format (table, wide, json)");
        return OutputFormat.Table;
    }
}

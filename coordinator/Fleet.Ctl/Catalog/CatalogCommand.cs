using System.CommandLine;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;

namespace Fleet.Ctl.Catalog;

/// <summary>fleetctl catalog apply -f FILE | get [-o yaml|json].</summary>
internal static class CatalogCommand
{
    public static Command Create(CtlContext ctx)
    {
        var catalog = new Command("catalog", "The artifact catalog: component -> version -> arch -> {url, sha256} (docs/catalog.md)");
        catalog.Subcommands.Add(Apply(ctx));
        catalog.Subcommands.Add(Get(ctx));
        return catalog;
    }

    private static Command Apply(CtlContext ctx)
    {
        var file = new Option<FileInfo>("--filename", "-f") { Description = "The catalog YAML file ('-' reads standard input)", Required = true };
        var apply = new Command("apply", "Validate a catalog and store it as the next version; an invalid one is refused with every problem") { file };
        apply.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var yaml = await InputFile.ReadAsync(parse.GetValue(file)!, ct);
            var response = await connection.Client.ApplyCatalogAsync(new ApplyCatalogRequest { Yaml = yaml }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await stdout.WriteLineAsync($"catalog version {response.Version} applied");
        }));
        return apply;
    }

    private static Command Get(CtlContext ctx)
    {
        var output = new Option<string>("--output", "-o") { Description = "yaml or json", DefaultValueFactory = _ => "yaml" };
        output.AcceptOnlyFromAmong("yaml", "json");
        var get = new Command("get", "Show the current catalog") { output };
        get.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.GetCatalogAsync(new GetCatalogRequest(), deadline: ControlConnection.Deadline, cancellationToken: ct);
            if (response.Version == 0)
            {
                throw new UsageException("no catalog has been applied yet (fleetctl catalog apply -f FILE)");
            }

            await stdout.WriteLineAsync(parse.GetValue(output) == "json" ? response.Json : response.Yaml.TrimEnd());
        }));
        return get;
    }
}

using System.CommandLine;
using Fleet.CommandDocs;
using Fleet.Ctl.Admin;
using Fleet.Ctl.Catalog;
using Fleet.Ctl.Cluster;
using Fleet.Ctl.Docs;
using Fleet.Ctl.Nodes;
using Fleet.Ctl.Rollouts;
using Fleet.Ctl.Run;
using Fleet.Ctl.Tokens;

namespace Fleet.Ctl;

/// <summary>The fleetctl command tree, runnable in-process with its own output writers (tests use this).</summary>
public static class FleetCtl
{
    public const string Description =
        "fleetctl: drive a Fleet coordinator: nodes, join tokens, admin certificates, the artifact catalog, rollouts, the Kubernetes cluster, and steps run on nodes.\n\n" +
        "Exit codes: 0 success; 1 the command failed (the coordinator refused it, a node or rollout failed, it could not be reached); " +
        "2 usage error (a wrong flag, argument or input file); 130 `rollout logs -f` stopped by Ctrl-C. Errors are one line on stderr starting \"fleetctl: \". " +
        "Output formats and the JSON shapes: docs/output.md.";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?> environment, CancellationToken ct = default)
    {
        var ctx = new CtlContext(stdout, stderr, environment, TimeProvider.System);
        var root = Root(ctx);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                var oneLine = string.Join(' ', error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                await stderr.WriteLineAsync($"fleetctl: {oneLine}");
            }

            await stderr.WriteLineAsync($"fleetctl: see `{string.Join(' ', CommandPath(parse.CommandResult.Command, root))} --help`");
            return CtlContext.ExitUsage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, ct);
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"fleetctl: {ex.Message}");
            return CtlContext.ExitUsage;
        }
        catch (Exception ex) when (ex is CommandFailedException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"fleetctl: {ex.Message}");
            return CtlContext.ExitFailure;
        }
    }

    /// <summary>The whole command tree; completion scripts and man pages are generated from it.</summary>
    internal static RootCommand Root(CtlContext ctx)
    {
        var root = new RootCommand(Description);
        foreach (var option in ctx.Options)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(NodesCommand.Create(ctx));
        root.Subcommands.Add(CatalogCommand.Create(ctx));
        root.Subcommands.Add(RunCommand.Create(ctx));
        root.Subcommands.Add(RolloutCommand.Create(ctx));
        root.Subcommands.Add(TokensCommand.Create(ctx));
        root.Subcommands.Add(AdminCertCommand.Create(ctx));
        root.Subcommands.Add(ClusterCommand.Create(ctx));
        root.Subcommands.Add(CompletionCommand.Create(() => root, FleetctlManPage.Info));
        root.Subcommands.Add(ManCommand.Create(() => root, FleetctlManPage.Info));
        return root;
    }

    private static List<string> CommandPath(Command command, RootCommand root)
    {
        var path = new List<string>();
        for (Command? c = command; c is not null && c != root; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            path.Insert(0, c.Name);
        }

        path.Insert(0, "fleetctl");
        return path;
    }
}

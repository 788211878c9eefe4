using System.CommandLine;
using Fleet.Ctl.Admin;
using Fleet.Ctl.Catalog;
using Fleet.Ctl.Cluster;
using Fleet.Ctl.Nodes;
using Fleet.Ctl.Run;
using Fleet.Ctl.Tokens;

namespace Fleet.Ctl;

/// <summary>The fleetctl command tree, runnable in-process with its own output writers (tests use this).</summary>
public static class FleetCtl
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?> environment, CancellationToken ct = default)
    {
        var ctx = new CtlContext(stdout, stderr, environment, TimeProvider.System);
        var root = new RootCommand("fleetctl: drive a Fleet coordinator: nodes, join tokens, admin certificates, the artifact catalog, and steps run on nodes.");
        foreach (var option in ctx.Options)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(NodesCommand.Create(ctx));
        root.Subcommands.Add(CatalogCommand.Create(ctx));
        root.Subcommands.Add(RunCommand.Create(ctx));
        root.Subcommands.Add(Rollouts.RolloutCommand.Create(ctx));
        root.Subcommands.Add(TokensCommand.Create(ctx));
        root.Subcommands.Add(AdminCertCommand.Create(ctx));
        root.Subcommands.Add(ClusterCommand.Create(ctx));
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, ct);
    }
}

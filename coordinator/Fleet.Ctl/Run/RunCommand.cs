using System.CommandLine;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;

namespace Fleet.Ctl.Run;

/// <summary>fleetctl run install-cni | download: one step on the selected nodes, with live progress.</summary>
internal static class RunCommand
{
    public static Command Create(CtlContext ctx)
    {
        var run = new Command("run", "Run one step on the nodes a selector picks, resolved for each node's architecture: a rollout of one batch (all nodes at once) and one step, listed by `rollout list` with its logs (`rollout logs ID`); refused before anything is sent when a node is not connected, awaiting approval or held by an unfinished rollout, or the catalog cannot serve its architecture; Ctrl-C aborts it");
        run.Subcommands.Add(InstallCni(ctx));
        run.Subcommands.Add(Download(ctx));
        return run;
    }

    private sealed record Selector(Option<string[]> Nodes, Option<string> Arch, Option<string[]> Labels, Option<string[]> Exclude, Option<bool> SkipDisconnected, Option<string> Timeout);

    private static Selector AddSelector(Command command)
    {
        var s = new Selector(
            new Option<string[]>("--node") { Description = "Only these nodes (repeatable)", AllowMultipleArgumentsPerToken = true },
            new Option<string>("--arch") { Description = "Only nodes of this architecture: amd64, arm64 or arm" },
            new Option<string[]>("--label") { Description = "Only nodes with this key=value label (repeatable or comma-separated; every one must match)" },
            new Option<string[]>("--exclude") { Description = "Never these nodes, whatever else matches (repeatable; each must exist)", AllowMultipleArgumentsPerToken = true },
            new Option<bool>("--skip-disconnected") { Description = "Leave out the selected nodes that are not connected, and list them, instead of refusing" },
            new Option<string>("--timeout") { Description = "Time allowed per node, retries included: 90s, 10m, 1h30m (default 10m)" });
        command.Options.Add(s.Nodes);
        command.Options.Add(s.Arch);
        command.Options.Add(s.Labels);
        command.Options.Add(s.Exclude);
        command.Options.Add(s.SkipDisconnected);
        command.Options.Add(s.Timeout);
        return s;
    }

    private static Command InstallCni(CtlContext ctx)
    {
        var version = new Option<string>("--version") { Description = "Version of the CNI plugins in the catalog, e.g. v1.1.1", Required = true };
        var component = new Option<string>("--component") { Description = "Catalog component (default cni-plugins)" };
        var destDir = new Option<string>("--dest-dir") { Description = "Where the plugins go (default /opt/cni/bin)" };
        var command = new Command("install-cni", "Install CNI plugins from the catalog's tarball for each node's architecture") { version, component, destDir };
        var selector = AddSelector(command);
        command.SetAction((parse, ct) => ctx.CallAsync(parse, (connection, stdout) =>
        {
            var request = Request(parse, selector);
            request.InstallCni = new RunInstallCni { Version = parse.GetValue(version)!, Component = parse.GetValue(component) ?? "", DestDir = parse.GetValue(destDir) ?? "" };
            return RunAsync(connection, request, stdout, ctx.Terminal(stdout), ct);
        }));
        return command;
    }

    private static Command Download(CtlContext ctx)
    {
        var component = new Option<string>("--component") { Description = "Catalog component, e.g. kubectl", Required = true };
        var version = new Option<string>("--version") { Description = "Version in the catalog, e.g. v1.20.2", Required = true };
        var dest = new Option<string>("--dest") { Description = "Absolute path on the node, e.g. /usr/local/bin/kubectl", Required = true };
        var command = new Command("download", "Download a binary from the catalog for each node's architecture, verified and ELF-checked") { component, version, dest };
        var selector = AddSelector(command);
        command.SetAction((parse, ct) => ctx.CallAsync(parse, (connection, stdout) =>
        {
            var request = Request(parse, selector);
            request.Download = new RunDownload { Component = parse.GetValue(component)!, Version = parse.GetValue(version)!, Dest = parse.GetValue(dest)! };
            return RunAsync(connection, request, stdout, ctx.Terminal(stdout), ct);
        }));
        return command;
    }

    private static RunStepRequest Request(ParseResult parse, Selector s)
    {
        var request = new RunStepRequest { Selector = new NodeSelector() };
        request.Selector.Names.AddRange(parse.GetValue(s.Nodes) ?? []);
        if (parse.GetValue(s.Arch) is { } arch)
        {
            request.Selector.Arch = ArchNames.TryParse(arch, out var a) ? a : throw new UsageException($"--arch: \"{arch}\" is not an architecture (amd64, arm64, arm)");
        }

        var labels = NodeLabels.Parse(parse.GetValue(s.Labels) ?? [], out var problem);
        request.Selector.Labels.Add(problem is null ? labels : throw new UsageException($"--label: {problem}"));
        request.Selector.Exclude.AddRange(parse.GetValue(s.Exclude) ?? []);
        request.Selector.SkipDisconnected = parse.GetValue(s.SkipDisconnected);

        if (parse.GetValue(s.Timeout) is { } timeout)
        {
            request.Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(DurationOption.Parse("--timeout", timeout));
        }

        return request;
    }

    private static async Task RunAsync(ControlConnection connection, RunStepRequest request, TextWriter stdout, TerminalInfo terminal, CancellationToken ct)
    {
        using var call = connection.Client.RunStep(request, cancellationToken: ct);
        var view = new RunProgressView(stdout, terminal);
        await view.ShowAsync(call.ResponseStream, ct);
        if (view.Failed > 0)
        {
            throw new CommandFailedException($"{view.Failed} of {view.Total} nodes failed");
        }
    }
}

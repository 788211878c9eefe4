using System.CommandLine;
using System.Text.Json;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Ctl.Nodes;

/// <summary>fleetctl nodes list | get NAME | remove NAME | approve NAME.</summary>
internal static class NodesCommand
{
    public static Command Create(CtlContext ctx)
    {
        var nodes = new Command("nodes", "Nodes: what each one is and how healthy it is");
        nodes.Subcommands.Add(List(ctx));
        nodes.Subcommands.Add(Get(ctx));
        nodes.Subcommands.Add(Remove(ctx));
        nodes.Subcommands.Add(Approve(ctx));
        return nodes;
    }

    private static Command Remove(CtlContext ctx)
    {
        var name = new Argument<string>("name") { Description = "The node's name" };
        var remove = new Command("remove", "Remove a node: revoke its certificates (its next connect is refused) and forget it") { name };
        remove.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.RemoveNodeAsync(new RemoveNodeRequest { Name = parse.GetValue(name) }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await stdout.WriteLineAsync($"node {parse.GetValue(name)} removed; {response.CertificatesRevoked} certificate(s) revoked");
        }));
        return remove;
    }

    private static Command Approve(CtlContext ctx)
    {
        var name = new Argument<string>("name") { Description = "The node's name" };
        var approve = new Command("approve", "Approve an enrolled node (coordinator started with --require-approval): it may receive steps") { name };
        approve.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            await connection.Client.ApproveNodeAsync(new ApproveNodeRequest { Name = parse.GetValue(name) }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await stdout.WriteLineAsync($"node {parse.GetValue(name)} approved");
        }));
        return approve;
    }

    private static Command List(CtlContext ctx)
    {
        var output = OutputOption.Create();
        var arch = new Option<string>("--arch") { Description = "Only nodes of this architecture: amd64, arm64 or arm" };
        var status = new Option<string>("--status") { Description = "Only nodes in this status: online, stale or offline" };
        var selector = new Option<string[]>("--selector", "-l") { Description = "Only nodes with these labels: key=value, repeatable or comma-separated; every one must match (as kubectl -l)", AllowMultipleArgumentsPerToken = false };
        var list = new Command("list", "List nodes: NAME, ARCH, BOARD, STATUS, KUBELET, AGENT (the fleet-agent version), HEALTH (worst check), LAST SEEN; -o wide adds INSTALL (how the agent is installed: deb, binary or -), LABELS and more") { output, arch, status, selector };
        list.Aliases.Add("ls");
        list.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var request = new ListNodesRequest();
            if (parse.GetValue(arch) is { } a)
            {
                request.Arch = ArchNames.TryParse(a, out var parsedArch)
                    ? parsedArch
                    : throw new UsageException($"--arch: \"{a}\" is not an architecture (amd64, arm64, arm)");
            }

            if (parse.GetValue(status) is { } s)
            {
                request.Status = NodeStatusNames.TryParse(s, out var parsedStatus)
                    ? parsedStatus
                    : throw new UsageException($"--status: \"{s}\" is not a node status (online, stale, offline)");
            }

            var labels = NodeLabels.Parse(parse.GetValue(selector) ?? [], out var problem);
            request.Labels.Add(problem is null ? labels : throw new UsageException($"--selector: {problem}"));
            using var call = connection.Client.ListNodes(request, deadline: ControlConnection.Deadline, cancellationToken: ct);
            var views = new List<NodeView>();
            await foreach (var node in call.ResponseStream.ReadAllAsync(ct))
            {
                views.Add(NodeView.From(node));
            }

            await ctx.WriteListAsync(stdout, views, parse.GetValue(output), FleetCtlJson.Default.ListNodeView, "No nodes.", wide => NodeTables.List(views, wide, ctx.Now));
        }));
        return list;
    }

    private static Command Get(CtlContext ctx)
    {
        var output = OutputOption.Create(wide: false);
        var name = new Argument<string>("name") { Description = "The node's name" };
        var get = new Command("get", "Show one node: every fact and every health check with its reason") { name, output };
        get.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var node = await connection.Client.GetNodeAsync(new GetNodeRequest { Name = parse.GetValue(name) }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            var view = NodeView.From(node);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(view, FleetCtlJson.Default.NodeView));
                return;
            }

            var terminal = ctx.Terminal(stdout);
            NodeTables.Facts(view, ctx.Now).Write(stdout, terminal);
            await stdout.WriteLineAsync();
            NodeTables.Checks(view).Write(stdout, terminal);
        }));
        return get;
    }
}

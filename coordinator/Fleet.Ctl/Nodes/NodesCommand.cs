using System.CommandLine;
using System.Text.Json;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;
using Grpc.Core;
using Spectre.Console;

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
        var list = new Command("list", "List nodes: NAME, ARCH, BOARD, STATUS, KUBELET, HEALTH (worst check), LAST SEEN") { output, arch, status };
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

            using var call = connection.Client.ListNodes(request, deadline: ControlConnection.Deadline, cancellationToken: ct);
            var views = new List<NodeView>();
            await foreach (var node in call.ResponseStream.ReadAllAsync(ct))
            {
                views.Add(NodeView.From(node));
            }

            var format = parse.GetValue(output);
            if (format == OutputFormat.Json)
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(views, FleetCtlJson.Default.ListNodeView));
                return;
            }

            RenderTable(views, format == OutputFormat.Wide, stdout, ctx.Now);
        }));
        return list;
    }

    private static Command Get(CtlContext ctx)
    {
        var output = OutputOption.Create();
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

            RenderDetail(view, stdout, ctx.Now);
        }));
        return get;
    }

    private static void RenderTable(List<NodeView> views, bool wide, TextWriter stdout, DateTimeOffset now)
    {
        var console = Terminal.For(stdout);
        if (views.Count == 0)
        {
            console.WriteLine("No nodes.");
            return;
        }

        string[] headers = wide
            ? ["NAME", "ARCH", "BOARD", "STATUS", "KUBELET", "HEALTH", "LAST SEEN", "MACHINE", "OS", "KERNEL", "CPUS", "MEMORY", "RUNTIME", "CNI PLUGINS", "AGENT"]
            : ["NAME", "ARCH", "BOARD", "STATUS", "KUBELET", "HEALTH", "LAST SEEN"];
        var table = Terminal.Table(headers);
        foreach (var v in views)
        {
            var cells = new List<string>
            {
                Markup.Escape(v.Name), v.Arch, Terminal.OrDash(v.Board), Terminal.StatusMarkup(v.Status), Terminal.OrDash(v.Kubelet),
                HealthSummary(v), Ago.Format(now - v.LastSeen) + " ago",
            };
            if (wide)
            {
                cells.AddRange(
                [
                    Terminal.OrDash(v.RawMachine), Terminal.OrDash(v.Os), Terminal.OrDash(v.Kernel), v.Cpus.ToString(), $"{v.MemoryBytes / (1024 * 1024)} MiB",
                    Terminal.OrDash(v.ContainerRuntime), v.CniPlugins.Count == 0 ? "-" : v.CniPlugins.Count.ToString(), Terminal.OrDash(v.AgentVersion),
                ]);
            }

            table.AddRow(cells.ToArray());
        }

        console.Write(table);
    }

    /// <summary>The worst status and the checks that have it: "failing (cni-plugins)".</summary>
    private static string HealthSummary(NodeView v)
    {
        var worst = v.Checks.Where(c => c.Status == v.Health).Select(c => c.Name).ToArray();
        return v.Health is "ok" || worst.Length == 0
            ? Terminal.StatusMarkup(v.Health)
            : $"{Terminal.StatusMarkup(v.Health)} ({Markup.Escape(string.Join(", ", worst))})";
    }

    private static void RenderDetail(NodeView v, TextWriter stdout, DateTimeOffset now)
    {
        var console = Terminal.For(stdout);
        var facts = Terminal.Table("FIELD", "VALUE");
        void Row(string field, string value) => facts.AddRow(field, value);
        Row("Name", Markup.Escape(v.Name));
        Row("Id", v.Id);
        Row("Status", $"{Terminal.StatusMarkup(v.Status)}{(v.Connected ? " (connected)" : " (not connected)")}{(v.Approved ? "" : ", awaiting approval")}");
        Row("Arch", $"{v.Arch} ({Markup.Escape(v.RawMachine)})");
        Row("Board", Terminal.OrDash(v.Board));
        Row("OS", Terminal.OrDash(v.Os));
        Row("Kernel", Terminal.OrDash(v.Kernel));
        Row("CPUs", v.Cpus.ToString());
        Row("Memory", $"{v.MemoryBytes / (1024 * 1024)} MiB");
        Row("Agent", Terminal.OrDash(v.AgentVersion));
        Row("Kubelet", Terminal.OrDash(v.Kubelet));
        Row("Kubeadm", Terminal.OrDash(v.Kubeadm));
        Row("Container runtime", Terminal.OrDash(v.ContainerRuntime));
        Row("CNI plugins", v.CniPlugins.Count == 0 ? "-" : Markup.Escape(string.Join(", ", v.CniPlugins)));
        Row("First seen", $"{v.FirstSeen:u} ({Ago.Format(now - v.FirstSeen)} ago)");
        Row("Last seen", $"{v.LastSeen:u} ({Ago.Format(now - v.LastSeen)} ago)");
        Row("Health", Terminal.StatusMarkup(v.Health) + (v.HealthSampledAt is { } at ? $" (sampled {Ago.Format(now - at)} ago)" : " (no heartbeat yet)"));
        console.Write(facts);
        console.WriteLine();

        var checks = Terminal.Table("CHECK", "STATUS", "REASON");
        foreach (var c in v.Checks)
        {
            checks.AddRow(Markup.Escape(c.Name), Terminal.StatusMarkup(c.Status), Markup.Escape(c.Reason));
        }

        console.Write(checks);
    }
}

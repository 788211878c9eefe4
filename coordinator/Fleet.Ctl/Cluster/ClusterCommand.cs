using System.CommandLine;
using System.Text.Json;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;
using Spectre.Console;

namespace Fleet.Ctl.Cluster;

/// <summary>fleetctl cluster set --kubeconfig FILE | status | audit | map NODE KUBE-NODE | unmap NODE.</summary>
internal static class ClusterCommand
{
    public static Command Create(CtlContext ctx)
    {
        var cluster = new Command("cluster", "The Kubernetes cluster: its kubeconfig, how Fleet nodes map to its nodes, and an audit for a mixed-architecture fleet");
        cluster.Subcommands.Add(Set(ctx));
        cluster.Subcommands.Add(Status(ctx));
        cluster.Subcommands.Add(Audit(ctx));
        cluster.Subcommands.Add(Map(ctx));
        cluster.Subcommands.Add(Unmap(ctx));
        return cluster;
    }

    private static Command Map(CtlContext ctx)
    {
        var node = new Argument<string>("node") { Description = "The Fleet node (its enrolled name)" };
        var kubeNode = new Argument<string>("kube-node") { Description = "The Kubernetes node it is" };
        var map = new Command(
            "map",
            "Say which Kubernetes node a Fleet node is, when it is not the one of its own name (the default). Only operators decide this: nothing a node reports (hostname, labels) does. One Kubernetes node has at most one Fleet node")
        {
            node, kubeNode,
        };
        map.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.MapKubeNodeAsync(
                new MapKubeNodeRequest { FleetNode = parse.GetValue(node)!, KubeNode = parse.GetValue(kubeNode)! }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await stdout.WriteLineAsync($"node {response.FleetNode} is Kubernetes node {response.KubeNode}");
        }));
        return map;
    }

    private static Command Unmap(CtlContext ctx)
    {
        var node = new Argument<string>("node") { Description = "The Fleet node (its enrolled name)" };
        var unmap = new Command("unmap", "Forget a Fleet node's operator mapping: it is the Kubernetes node of its own name again") { node };
        unmap.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.MapKubeNodeAsync(new MapKubeNodeRequest { FleetNode = parse.GetValue(node)! }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await stdout.WriteLineAsync(response.Conflict.Length > 0
                ? $"node {response.FleetNode} maps to no Kubernetes node: {response.Conflict}"
                : $"node {response.FleetNode} is Kubernetes node {response.KubeNode} (by its name)");
        }));
        return unmap;
    }

    private static Command Set(CtlContext ctx)
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The cluster's kubeconfig file, credentials inline (kubectl config view --flatten --minify; exec, auth-provider and file paths are refused); the coordinator stores a copy (mode 0600) and uses it from now on", Required = true };
        var set = new Command("set", "Give the coordinator the cluster's kubeconfig") { kubeconfig };
        set.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var path = parse.GetValue(kubeconfig)!;
            string content;
            try
            {
                content = await File.ReadAllTextAsync(path, ct);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--kubeconfig: cannot read {path}: {ex.Message}");
            }

            var response = await connection.Client.SetKubeconfigAsync(new SetKubeconfigRequest { Kubeconfig = content }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await stdout.WriteLineAsync($"kubeconfig stored at {response.Path} on the coordinator");
            if (response.Error.Length > 0)
            {
                throw new CommandFailedException($"stored, but the API server {response.Server} cannot be used now: {response.Error}");
            }

            await stdout.WriteLineAsync($"API server {response.Server}: {response.ServerVersion}");
        }));
        return set;
    }

    private static Command Status(CtlContext ctx)
    {
        var output = OutputOption.Create();
        var status = new Command("status", "The API server's version, its nodes, and which Fleet node is which Kubernetes node") { output };
        status.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.GetClusterStatusAsync(new GetClusterStatusRequest(), deadline: ControlConnection.Deadline, cancellationToken: ct);
            var view = ClusterStatusView.From(response);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(view, ClusterJson.Default.ClusterStatusView));
                return;
            }

            var console = Terminal.For(stdout);
            console.MarkupLine($"API server:  {Markup.Escape(view.Server)} ({Markup.Escape(view.ServerVersion)})");
            console.MarkupLine($"Kubeconfig:  {Markup.Escape(view.Kubeconfig)}");
            console.WriteLine();
            var nodes = Terminal.Table("KUBERNETES NODE", "STATUS", "ROLE", "KUBELET", "ARCH", "BOARD", "SCHEDULING", "FLEET NODE");
            foreach (var n in view.KubernetesNodes)
            {
                var scheduling = !n.Unschedulable ? "schedulable" : n.CordonedByFleet ? "cordoned by Fleet" : "cordoned";
                nodes.AddRow(Markup.Escape(n.Name), n.Status == "Ready" ? "[green]Ready[/]" : "[red]NotReady[/]", n.Role, Terminal.OrDash(n.KubeletVersion),
                    Terminal.OrDash(n.Arch), Terminal.OrDash(n.Board), scheduling, Terminal.OrDash(n.FleetNode));
            }

            console.Write(nodes);
            console.WriteLine();
            if (view.Mappings.Count == 0)
            {
                console.WriteLine("No Fleet nodes.");
                return;
            }

            var mappings = Terminal.Table("FLEET NODE", "KUBERNETES NODE", "BY", "ARCH", "PROBLEM");
            foreach (var m in view.Mappings)
            {
                mappings.AddRow(Markup.Escape(m.FleetNode), Markup.Escape(m.KubernetesNode), m.MappedBy, Terminal.OrDash(m.FleetArch),
                    m.Problem.Length == 0 ? "-" : $"[yellow]{Markup.Escape(m.Problem)}[/]");
            }

            console.Write(mappings);
        }));
        return status;
    }

    private static Command Audit(CtlContext ctx)
    {
        var output = OutputOption.Create();
        var audit = new Command("audit", "Where DaemonSets and Deployments may run against the fleet's architectures; nodes missing CNI plugins; kubelets outside the version-skew policy; kubernetes.io/arch labels that disagree with the agents") { output };
        audit.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.AuditClusterAsync(new AuditClusterRequest(), deadline: ControlConnection.Deadline, cancellationToken: ct);
            var view = ClusterAuditView.From(response);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(view, ClusterJson.Default.ClusterAuditView));
                return;
            }

            Render(view, Terminal.For(stdout));
        }));
        return audit;
    }

    private static void Render(ClusterAuditView view, IAnsiConsole console)
    {
        static string List(List<string> items, string none) => items.Count == 0 ? none : Markup.Escape(string.Join(",", items));

        console.MarkupLine($"API server {Markup.Escape(view.ServerVersion)}; architectures in the fleet: {List(view.FleetArchs, "none")}");
        console.WriteLine();
        var workloads = Terminal.Table("KIND", "NAMESPACE", "NAME", "ALLOWED ARCHS", "RUNS ON", "MISSING", "NODES REFUSED");
        foreach (var w in view.Workloads)
        {
            workloads.AddRow(w.Kind, Markup.Escape(w.Namespace), Markup.Escape(w.Name), List(w.AllowedArchs, "any"), List(w.RunnableArchs, "-"),
                w.MissingArchs.Count == 0 ? "-" : $"[yellow]{List(w.MissingArchs, "-")}[/]", Markup.Escape(w.BlockedNodes.Count == 0 ? "-" : string.Join("; ", w.BlockedNodes)));
        }

        if (view.Workloads.Count == 0)
        {
            console.WriteLine("No DaemonSets or Deployments.");
        }
        else
        {
            console.Write(workloads);
        }

        console.WriteLine();
        Section(console, "CNI plugins", view.CniPlugins.Count, () =>
        {
            var table = Terminal.Table("FLEET NODE", "STATUS", "REASON");
            view.CniPlugins.ForEach(c => table.AddRow(Markup.Escape(c.FleetNode), Terminal.StatusMarkup(c.Status), Markup.Escape(c.Reason)));
            return table;
        }, "every node has its required CNI plugins");
        Section(console, "Version skew", view.VersionSkew.Count, () =>
        {
            var table = Terminal.Table("KUBERNETES NODE", "FLEET NODE", "KUBELET", "PROBLEM");
            view.VersionSkew.ForEach(s => table.AddRow(Markup.Escape(s.KubernetesNode), Terminal.OrDash(s.FleetNode), Terminal.OrDash(s.KubeletVersion), Markup.Escape(s.Problem)));
            return table;
        }, "every kubelet is within the version-skew policy");
        Section(console, "Architecture labels", view.ArchMismatches.Count, () =>
        {
            var table = Terminal.Table("FLEET NODE", "KUBERNETES NODE", "AGENT ARCH", "kubernetes.io/arch");
            view.ArchMismatches.ForEach(m => table.AddRow(Markup.Escape(m.FleetNode), Markup.Escape(m.KubernetesNode), m.FleetArch, m.KubernetesArch));
            return table;
        }, "every kubernetes.io/arch agrees with its agent");
        console.WriteLine(view.Findings == 0 ? "No findings." : $"{view.Findings} finding(s).");
    }

    private static void Section(IAnsiConsole console, string title, int count, Func<Table> table, string none)
    {
        if (count == 0)
        {
            console.WriteLine($"{title}: {none}.");
        }
        else
        {
            console.WriteLine($"{title}:");
            console.Write(table());
        }

        console.WriteLine();
    }
}

using System.CommandLine;
using System.Text.Json;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;

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
        var output = OutputOption.Create(wide: false);
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

            ClusterTables.PrintStatus(stdout, ctx.Terminal(stdout), view);
        }));
        return status;
    }

    private static Command Audit(CtlContext ctx)
    {
        var output = OutputOption.Create(wide: false);
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

            ClusterTables.PrintAudit(stdout, ctx.Terminal(stdout), view);
        }));
        return audit;
    }
}

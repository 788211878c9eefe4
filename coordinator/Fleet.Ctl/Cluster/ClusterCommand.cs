using System.CommandLine;
using System.Text.Json;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;

namespace Fleet.Ctl.Cluster;

/// <summary>fleetctl cluster set --kubeconfig FILE | status | audit.</summary>
internal static class ClusterCommand
{
    public static Command Create(CtlContext ctx)
    {
        var cluster = new Command("cluster", "The Kubernetes cluster: its kubeconfig, how Fleet nodes map to its nodes, and an audit for a mixed-architecture fleet");
        cluster.Subcommands.Add(Set(ctx));
        cluster.Subcommands.Add(Status(ctx));
        cluster.Subcommands.Add(Audit(ctx));
        return cluster;
    }

    private static Command Set(CtlContext ctx)
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The cluster's kubeconfig file; the coordinator stores a copy (mode 0600) and uses it from now on", Required = true };
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

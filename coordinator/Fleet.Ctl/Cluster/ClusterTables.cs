using Fleet.Ctl.Output;

namespace Fleet.Ctl.Cluster;

/// <summary>How `cluster status` and `cluster audit` print.</summary>
internal static class ClusterTables
{
    public static TableWriter KubernetesNodes(ClusterStatusView view)
    {
        var nodes = new TableWriter(new Column("KUBERNETES NODE"), new Column("STATUS"), new Column("ROLE"), new Column("KUBELET"), new Column("ARCH"), new Column("BOARD", Free: true), new Column("SCHEDULING"), new Column("FLEET NODE"));
        foreach (var n in view.KubernetesNodes)
        {
            var scheduling = !n.Unschedulable ? "schedulable" : n.CordonedByFleet ? "cordoned by Fleet" : "cordoned";
            nodes.AddRow(n.Name, new Cell(n.Status, n.Status == "Ready" ? CellColor.Green : CellColor.Red), n.Role, Cell.OrDash(n.KubeletVersion),
                Cell.OrDash(n.Arch), Cell.OrDash(n.Board), scheduling, Cell.OrDash(n.FleetNode));
        }

        return nodes;
    }

    public static TableWriter Mappings(IEnumerable<MappingView> mappings)
    {
        var table = new TableWriter(new Column("FLEET NODE"), new Column("KUBERNETES NODE"), new Column("BY"), new Column("ARCH"), new Column("PROBLEM", Free: true));
        foreach (var m in mappings)
        {
            table.AddRow(m.FleetNode, m.KubernetesNode, m.MappedBy, Cell.OrDash(m.FleetArch), m.Problem.Length == 0 ? "-" : new Cell(m.Problem, CellColor.Yellow));
        }

        return table;
    }

    public static void PrintStatus(TextWriter w, TerminalInfo terminal, ClusterStatusView view)
    {
        w.WriteLine($"API server:  {view.Server} ({view.ServerVersion})");
        w.WriteLine($"Kubeconfig:  {view.Kubeconfig}");
        w.WriteLine();
        KubernetesNodes(view).Write(w, terminal);
        w.WriteLine();
        if (view.Mappings.Count == 0)
        {
            w.WriteLine("No Fleet nodes.");
            return;
        }

        Mappings(view.Mappings).Write(w, terminal);
    }

    public static TableWriter Workloads(ClusterAuditView view)
    {
        var workloads = new TableWriter(new Column("KIND"), new Column("NAMESPACE"), new Column("NAME"), new Column("ALLOWED ARCHS"), new Column("RUNS ON"), new Column("MISSING"), new Column("NODES REFUSED", Free: true));
        foreach (var w in view.Workloads)
        {
            workloads.AddRow(w.Kind, w.Namespace, w.Name, Join(w.AllowedArchs, "any"), Join(w.RunnableArchs, "-"),
                w.MissingArchs.Count == 0 ? "-" : new Cell(Join(w.MissingArchs, "-"), CellColor.Yellow), w.BlockedNodes.Count == 0 ? "-" : string.Join("; ", w.BlockedNodes));
        }

        return workloads;
    }

    public static TableWriter Cni(ClusterAuditView view)
    {
        var table = new TableWriter(new Column("FLEET NODE"), new Column("STATUS"), new Column("REASON", Free: true));
        view.CniPlugins.ForEach(c => table.AddRow(c.FleetNode, Cell.Status(c.Status), Cell.OrDash(c.Reason)));
        return table;
    }

    public static TableWriter Skew(ClusterAuditView view)
    {
        var table = new TableWriter(new Column("KUBERNETES NODE"), new Column("FLEET NODE"), new Column("KUBELET"), new Column("PROBLEM", Free: true));
        view.VersionSkew.ForEach(s => table.AddRow(s.KubernetesNode, Cell.OrDash(s.FleetNode), Cell.OrDash(s.KubeletVersion), s.Problem));
        return table;
    }

    public static TableWriter ArchLabels(ClusterAuditView view)
    {
        var table = new TableWriter("FLEET NODE", "KUBERNETES NODE", "AGENT ARCH", "kubernetes.io/arch");
        view.ArchMismatches.ForEach(m => table.AddRow(m.FleetNode, m.KubernetesNode, m.FleetArch, m.KubernetesArch));
        return table;
    }

    public static void PrintAudit(TextWriter w, TerminalInfo terminal, ClusterAuditView view)
    {
        w.WriteLine($"API server {view.ServerVersion}; architectures in the fleet: {Join(view.FleetArchs, "none")}");
        w.WriteLine();
        if (view.Workloads.Count == 0)
        {
            w.WriteLine("No DaemonSets or Deployments.");
        }
        else
        {
            Workloads(view).Write(w, terminal);
        }

        w.WriteLine();
        Section(w, terminal, "CNI plugins", view.CniPlugins.Count, () => Cni(view), "every node has its required CNI plugins");
        Section(w, terminal, "Version skew", view.VersionSkew.Count, () => Skew(view), "every kubelet is within the version-skew policy");
        Section(w, terminal, "Architecture labels", view.ArchMismatches.Count, () => ArchLabels(view), "every kubernetes.io/arch agrees with its agent");
        w.WriteLine(view.Findings == 0 ? "No findings." : $"{view.Findings} finding(s).");
    }

    private static string Join(List<string> items, string none) => items.Count == 0 ? none : string.Join(",", items);

    private static void Section(TextWriter w, TerminalInfo terminal, string title, int count, Func<TableWriter> table, string none)
    {
        if (count == 0)
        {
            w.WriteLine($"{title}: {none}.");
        }
        else
        {
            w.WriteLine($"{title}:");
            table().Write(w, terminal);
        }

        w.WriteLine();
    }
}

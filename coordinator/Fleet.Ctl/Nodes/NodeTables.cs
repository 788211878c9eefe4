using System.Globalization;
using Fleet.Ctl.Output;

namespace Fleet.Ctl.Nodes;

/// <summary>How nodes print: the list (and its wide form) and one node's facts and checks.</summary>
internal static class NodeTables
{
    public static TableWriter List(IEnumerable<NodeView> views, bool wide, DateTimeOffset now)
    {
        Column[] columns = wide
            ? [new("NAME"), new("ARCH"), new("BOARD", Free: true), new("STATUS"), new("KUBELET"), new("AGENT"), new("HEALTH", Free: true), new("LAST SEEN"), new("INSTALL"), new("MACHINE"), new("OS", Free: true),
                new("KERNEL"), new("CPUS"), new("MEMORY"), new("RUNTIME", Free: true), new("CNI PLUGINS"), new("LABELS", Free: true)]
            : [new("NAME"), new("ARCH"), new("BOARD", Free: true), new("STATUS"), new("KUBELET"), new("AGENT"), new("HEALTH", Free: true), new("LAST SEEN")];
        var table = new TableWriter(columns);
        foreach (var v in views)
        {
            var cells = new List<Cell>
            {
                v.Name, v.Arch, Cell.OrDash(v.Board), Cell.Status(v.Status), Cell.OrDash(v.Kubelet), Cell.OrDash(v.AgentVersion), HealthSummary(v), Ago.Format(now - v.LastSeen) + " ago",
            };
            if (wide)
            {
                cells.AddRange(
                [
                    Cell.OrDash(v.AgentInstall), Cell.OrDash(v.RawMachine), Cell.OrDash(v.Os), Cell.OrDash(v.Kernel), v.Cpus.ToString(CultureInfo.InvariantCulture), Memory(v.MemoryBytes),
                    Cell.OrDash(v.ContainerRuntime), v.CniPlugins.Count == 0 ? "-" : v.CniPlugins.Count.ToString(CultureInfo.InvariantCulture), LabelsText(v.Labels),
                ]);
            }

            table.AddRow([.. cells]);
        }

        return table;
    }

    /// <summary>Labels as kubectl shows them: key=value,key=value in key order; "-" for none.</summary>
    public static string LabelsText(IReadOnlyDictionary<string, string> labels) =>
        labels.Count == 0 ? "-" : string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    /// <summary>The worst status and the checks that have it: "failing (cni-plugins)".</summary>
    public static Cell HealthSummary(NodeView v)
    {
        var worst = v.Checks.Where(c => c.Status == v.Health).Select(c => c.Name).ToArray();
        var status = Cell.Status(v.Health);
        return v.Health is "ok" || worst.Length == 0 ? status : status with { Text = $"{v.Health} ({string.Join(", ", worst)})" };
    }

    /// <summary>`nodes get`: a FIELD/VALUE table of facts; values are never cut (a fact is what was asked for).</summary>
    public static TableWriter Facts(NodeView v, DateTimeOffset now)
    {
        var facts = new TableWriter("FIELD", "VALUE");
        facts.AddRow("Name", v.Name);
        facts.AddRow("Id", v.Id);
        facts.AddRow("Status", Cell.Status(v.Status) with { Text = $"{v.Status}{(v.Connected ? " (connected)" : " (not connected)")}{(v.Approved ? "" : ", awaiting approval")}" });
        facts.AddRow("Arch", $"{v.Arch} ({v.RawMachine})");
        facts.AddRow("Board", Cell.OrDash(v.Board));
        facts.AddRow("OS", Cell.OrDash(v.Os));
        facts.AddRow("Kernel", Cell.OrDash(v.Kernel));
        facts.AddRow("CPUs", v.Cpus.ToString(CultureInfo.InvariantCulture));
        facts.AddRow("Memory", Memory(v.MemoryBytes));
        facts.AddRow("Agent", AgentText(v));
        facts.AddRow("Kubelet", Cell.OrDash(v.Kubelet));
        facts.AddRow("Kubeadm", Cell.OrDash(v.Kubeadm));
        facts.AddRow("Container runtime", Cell.OrDash(v.ContainerRuntime));
        facts.AddRow("Labels", LabelsText(v.Labels));
        facts.AddRow("CNI plugins", v.CniPlugins.Count == 0 ? "-" : string.Join(", ", v.CniPlugins));
        facts.AddRow("First seen", $"{Timestamps.Format(v.FirstSeen)} ({Ago.Format(now - v.FirstSeen)} ago)");
        facts.AddRow("Last seen", $"{Timestamps.Format(v.LastSeen)} ({Ago.Format(now - v.LastSeen)} ago)");
        facts.AddRow("Health", Cell.Status(v.Health) with { Text = v.Health + (v.HealthSampledAt is { } at ? $" (sampled {Ago.Format(now - at)} ago)" : " (no heartbeat yet)") });
        return facts;
    }

    /// <summary>`nodes get`: every health check with its reason (the reason runs on rather than being cut).</summary>
    public static TableWriter Checks(NodeView v)
    {
        var checks = new TableWriter("CHECK", "STATUS", "REASON");
        foreach (var c in v.Checks)
        {
            checks.AddRow(c.Name, Cell.Status(c.Status), Cell.OrDash(c.Reason));
        }

        return checks;
    }

    /// <summary>The agent's version and how it is installed: "0.9.0 (binary)", "0.9.0 (deb)"; "0.9.0 (install unknown)" when
    /// the agent reported neither (Fleet cannot upgrade it, docs/agent-upgrades.md).</summary>
    public static string AgentText(NodeView v) =>
        $"{(v.AgentVersion.Length == 0 ? "-" : v.AgentVersion)} ({(v.AgentInstall.Length == 0 ? "install unknown" : v.AgentInstall)})";

    private static string Memory(long bytes) => $"{bytes / (1024 * 1024)} MiB";
}

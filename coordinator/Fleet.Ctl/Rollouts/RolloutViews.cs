using System.Globalization;
using Fleet.Ctl.Output;

namespace Fleet.Ctl.Rollouts;

/// <summary>How rollouts print: the plan, the list, a rollout's nodes and steps, log lines.</summary>
internal static class RolloutViews
{
    public static void PrintPlan(TextWriter w, RolloutView plan)
    {
        var inPhases = plan.Phases is { Count: > 1 } hops ? $" in {hops.Count} phases" : "";
        w.WriteLine($"plan: {plan.Recipe} on {plan.Nodes.Count} node(s) in {plan.BatchCount} batch(es){inPhases}; preflight passed, nothing was touched");
        if (plan.Strategy is { } strategy)
        {
            w.WriteLine($"strategy: {strategy}");
            w.WriteLine($"timeouts: {string.Join(", ", strategy.Timeouts.Select(t => $"{t.Key} {t.Value}"))}");
            w.WriteLine($"windows: {(strategy.Windows.Count == 0 ? "any time" : string.Join("; ", strategy.Windows))}");
            if (strategy.Gates.Count > 0)
            {
                w.WriteLine("gates (after every batch, and before the rollout succeeds):");
                foreach (var (gate, i) in strategy.Gates.Select((g, i) => (g, i)))
                {
                    w.WriteLine($"  {i + 1}. {gate}");
                }
            }

            foreach (var webhook in strategy.Webhooks)
            {
                w.WriteLine($"webhook: {webhook}");
            }
        }

        if (plan.SkippedLine is { } skipped)
        {
            w.WriteLine(skipped);
        }

        if (VersionTable(plan) is { } versions)
        {
            w.WriteLine();
            versions.Write(w, TerminalInfo.Piped);
        }
        if (plan.Phases is not { Count: > 1 } phases)
        {
            PrintBatches(w, plan, 1, 0);
            return;
        }

        w.WriteLine($"phases: {string.Join(" -> ", phases.Select(p => p.Version))} (Kubernetes cannot skip a minor version; a phase starts when the previous one finished on every node)");
        foreach (var phase in phases)
        {
            w.WriteLine();
            w.WriteLine($"phase {phase.Number} of {phases.Count}: {phase.Version}, batches {phase.FirstBatch}-{phase.LastBatch}{(phase.Note.Length > 0 ? $" ({phase.Note})" : "")}");
            PrintBatches(w, plan, phase.Number, phase.FirstBatch - 1);
        }
    }

    /// <summary>The batches of one phase and each node's steps in it; a node's batch in a later phase is its first batch plus the phase's offset.</summary>
    private static void PrintBatches(TextWriter w, RolloutView plan, int phase, int offset)
    {
        foreach (var batch in plan.Nodes.GroupBy(n => n.Batch + offset).OrderBy(g => g.Key))
        {
            w.WriteLine();
            w.WriteLine($"batch {batch.Key}: {string.Join(", ", batch.Select(n => n.Name))}");
            foreach (var node in batch)
            {
                w.WriteLine($"  {node.Name} ({node.Arch}{(node.VersionChange is { } change ? $", {change}" : "")})");
                if (NoRollback(plan, node) is { } why)
                {
                    w.WriteLine($"    ({why})");
                }

                foreach (var step in node.Steps.Where(s => s.Phase == phase))
                {
                    w.WriteLine($"    {step.Number}. {step.Shown}");
                    if (step.Url.Length > 0)
                    {
                        w.WriteLine($"       {step.Url}");
                        w.WriteLine($"       sha256 {step.Sha256}");
                    }
                }
            }
        }
    }

    /// <summary>Why a node of a plan with strategy.onNodeFailure: rollback has no rollback steps; null when it has (or the policy is fail).</summary>
    public static string? NoRollback(RolloutView plan, RolloutNodeView node) =>
        plan.Strategy?.OnNodeFailure != "rollback" || node.Steps.Any(s => s.OnFailure) ? null
        : node.Steps.Any(s => s.Kind is "download" or "install-cni")
            ? "no automatic rollback: a control-plane node (kubeadm does not downgrade a control plane; docs/rollouts.md#restoring-an-etcd-snapshot)"
            : "no automatic rollback: it replaces nothing";

    /// <summary>`rollout list`: ID, NAME, RECIPE, STATE, AGE, REASON (or the wait for a maintenance window); -o wide adds BATCH, NODES, CREATED, FINISHED.</summary>
    public static TableWriter List(IEnumerable<RolloutView> rollouts, bool wide, DateTimeOffset now)
    {
        Column[] columns = wide
            ? [new("ID"), new("NAME"), new("RECIPE"), new("STATE"), new("AGE"), new("BATCH"), new("NODES"), new("CREATED"), new("FINISHED"), new("REASON", Free: true)]
            : [new("ID"), new("NAME"), new("RECIPE"), new("STATE"), new("AGE"), new("REASON", Free: true)];
        var table = new TableWriter(columns);
        foreach (var r in rollouts)
        {
            var age = r.CreatedAt is { } c ? Ago.Format(now - c) : "-";
            Cell[] cells = wide
                ? [r.Id, Cell.OrDash(r.Name), r.Recipe, Cell.Status(r.State), age, $"{r.CurrentBatch}/{r.BatchCount}", r.Nodes.Count.ToString(CultureInfo.InvariantCulture),
                    Timestamps.Format(r.CreatedAt), Timestamps.Format(r.FinishedAt), Cell.OrDash(r.WindowWait ?? r.Reason)]
                : [r.Id, Cell.OrDash(r.Name), r.Recipe, Cell.Status(r.State), age, Cell.OrDash(r.WindowWait ?? r.Reason)];
            table.AddRow(cells);
        }

        return table;
    }

    /// <summary>The header of the column of each node's version change ("0.9.0 → 0.9.1").</summary>
    public const string FromTo = "FROM → TO";

    /// <summary>A rollout's nodes: NODE, ARCH, BATCH, STATE, STEP, DETAIL (the step and the detail are cut to fit a terminal);
    /// FROM → TO after BATCH when the rollout moves some node between versions.</summary>
    public static TableWriter Nodes(RolloutView r)
    {
        var versions = HasVersions(r);
        var table = new TableWriter(
        [
            new Column("NODE"), new Column("ARCH"), new Column("BATCH"), .. versions ? [new Column(FromTo)] : Array.Empty<Column>(),
            new Column("STATE"), new Column("STEP", Free: true), new Column("DETAIL", Free: true),
        ]);
        foreach (var n in r.Nodes)
        {
            Cell[] change = versions ? [n.VersionChange ?? "-"] : [];
            table.AddRow([n.Name, n.Arch, n.Batch.ToString(CultureInfo.InvariantCulture), .. change, Cell.Status(n.State), Cell.OrDash(CurrentStep(n)), Cell.OrDash(Detail(n))]);
        }

        return table;
    }

    /// <summary>`rollout plan`: NODE, ARCH, BATCH, FROM → TO, when the rollout moves some node between versions; null otherwise.</summary>
    public static TableWriter? VersionTable(RolloutView plan)
    {
        if (!HasVersions(plan))
        {
            return null;
        }

        var table = new TableWriter(new Column("NODE"), new Column("ARCH"), new Column("BATCH"), new Column(FromTo));
        foreach (var n in plan.Nodes)
        {
            table.AddRow(n.Name, n.Arch, n.Batch.ToString(CultureInfo.InvariantCulture), n.VersionChange ?? "-");
        }

        return table;
    }

    private static bool HasVersions(RolloutView r) => r.Nodes.Any(n => n.VersionChange is not null);

    public static void PrintRollout(TextWriter w, TerminalInfo terminal, RolloutView r, bool wide)
    {
        w.WriteLine($"rollout {r.Id}{(r.Name.Length > 0 ? $" ({r.Name})" : "")}: {r.Recipe}, {r.State}");
        if (r.Reason.Length > 0)
        {
            w.WriteLine($"  {r.Reason}");
        }

        if (r.WindowWait is { } wait)
        {
            w.WriteLine($"  {wait}");
        }

        if (r.SkippedLine is { } skipped)
        {
            w.WriteLine($"  {skipped}");
        }

        if (r.Gate.Length > 0)
        {
            w.WriteLine($"  checking gate: {r.Gate}");
        }

        if (r.Nodes.Where(n => n.VersionChange is not null).Select(n => $"{n.Name} {n.VersionChange}").ToList() is { Count: > 0 } versions)
        {
            w.WriteLine($"  versions: {string.Join(", ", versions)}");
        }

        w.WriteLine($"  batch {r.CurrentBatch} of {r.BatchCount}{(r.PhaseLine is { } phase ? $", {phase}" : "")}; created {Timestamps.Format(r.CreatedAt)}{(r.FinishedAt is { } f ? $", finished {Timestamps.Format(f)}" : "")}");
        w.WriteLine();
        Nodes(r).Write(w, terminal);
        if (!wide)
        {
            return;
        }

        foreach (var n in r.Nodes)
        {
            w.WriteLine();
            w.WriteLine($"{n.Name}{(n.VersionChange is { } change ? $" ({change})" : "")}:");
            foreach (var s in n.Steps)
            {
                w.WriteLine($"  {s.Number}. [{s.State}] {s.Shown}{(s.Reason.Length > 0 ? $": {s.Reason}" : "")}");
            }
        }
    }

    /// <summary>"3/10 drain k8s-node-1", or the last step for a finished node.</summary>
    public static string CurrentStep(RolloutNodeView n)
    {
        var step = n.Steps.LastOrDefault(s => s.OnFailure && s.State is "running" or "failed" or "cancelled") // a rollback in progress, or what failed in it
            ?? n.Steps.FirstOrDefault(s => s.State is "running" or "failed" or "cancelled")
            ?? (n.State == "succeeded" ? n.Steps.LastOrDefault(s => !s.OnFailure) : n.Steps.FirstOrDefault(s => s.State == "pending" && !s.OnFailure));
        return step is null ? "" : $"{step.Number}/{n.Steps.Count} {step.Shown}";
    }

    public static string Detail(RolloutNodeView n) =>
        n.Error.Length > 0 ? n.Error
        : n.BytesTotal > 0 || n.BytesDone > 0 ? Bar(n.BytesDone, n.BytesTotal)
        : BetweenPhases(n) ?? n.LastLog;

    /// <summary>"phase 1 of 2 done, waiting for the other nodes": a running node of a multi-hop upgrade between two phases.</summary>
    public static string? BetweenPhases(RolloutNodeView n)
    {
        var last = n.Steps.Count == 0 ? 1 : n.Steps.Max(s => s.Phase);
        if (last <= 1 || n.State != "running" || n.Steps.Any(s => s.State is "running" or "failed" or "cancelled"))
        {
            return null;
        }

        var done = Enumerable.Range(1, last - 1).LastOrDefault(p => n.Steps.Where(s => s.Phase <= p).All(s => s.State == "succeeded"));
        return done > 0 && n.Steps.Where(s => s.Phase == done + 1).All(s => s.State == "pending")
            ? $"phase {done} of {last} done, waiting for the other nodes"
            : null;
    }

    public static string Bar(long done, long total)
    {
        if (total <= 0)
        {
            return $"{done / 1024} KiB";
        }

        var fraction = Math.Clamp((double)done / total, 0, 1);
        var filled = (int)Math.Round(fraction * 20);
        return $"[{new string('#', filled)}{new string('-', 20 - filled)}] {fraction * 100:0}% of {total / 1024} KiB";
    }

    /// <summary>The name a rollout-wide log line goes by: in parentheses, which no node name can hold.</summary>
    public const string RolloutWide = "(rollout)";

    /// <summary>
    /// One log line: its full date and time (RFC 3339, UTC), level, node (or <see cref="RolloutWide"/>)
    /// and message. A node's output reaches the message: its control characters are printed as spaces,
    /// so a line never drives the terminal nor forges a second line.
    /// </summary>
    public static string LogLine(RolloutLogLineView line) =>
        TableWriter.Printable($"{Timestamps.Format(line.At)} {line.Level,-5} {(line.Node.Length > 0 ? line.Node : RolloutWide)}: {line.Message}");
}

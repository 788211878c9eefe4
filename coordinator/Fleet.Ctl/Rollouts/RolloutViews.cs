using System.Globalization;
using Fleet.V1;
using Spectre.Console;

namespace Fleet.Ctl.Rollouts;

/// <summary>How rollouts print: the plan, a rollout's nodes and steps, log lines.</summary>
internal static class RolloutViews
{
    public static void PrintPlan(IAnsiConsole console, Rollout plan)
    {
        console.WriteLine($"plan: {plan.Recipe} on {plan.Nodes.Count} node(s) in {plan.BatchCount} batch(es); preflight passed, nothing was touched");
        foreach (var batch in plan.Nodes.GroupBy(n => n.Batch).OrderBy(g => g.Key))
        {
            console.WriteLine();
            console.WriteLine($"batch {batch.Key}: {string.Join(", ", batch.Select(n => n.Name))}");
            foreach (var node in batch)
            {
                console.WriteLine($"  {node.Name} ({node.Arch.ToName()})");
                foreach (var step in node.Steps)
                {
                    console.WriteLine($"    {step.Index + 1}. {step.Description}");
                    if (step.Url.Length > 0)
                    {
                        console.WriteLine($"       {step.Url}");
                        console.WriteLine($"       sha256 {step.Sha256}");
                    }
                }
            }
        }
    }

    public static void PrintRollout(IAnsiConsole console, Rollout r, bool wide)
    {
        console.MarkupLine($"rollout {r.Id}{(r.Name.Length > 0 ? $" ({Markup.Escape(r.Name)})" : "")}: {Markup.Escape(r.Recipe)}, {StateMarkup(r.State)}");
        if (r.Reason.Length > 0)
        {
            console.WriteLine($"  {r.Reason}");
        }

        console.WriteLine($"  batch {r.CurrentBatch} of {r.BatchCount}; created {r.CreatedAt.ToDateTimeOffset():u}{(r.FinishedAt is null ? "" : $", finished {r.FinishedAt.ToDateTimeOffset():u}")}");
        console.WriteLine();
        var table = Output.Terminal.Table("NODE", "ARCH", "BATCH", "STATE", "STEP", "DETAIL");
        foreach (var n in r.Nodes)
        {
            table.AddRow(Markup.Escape(n.Name), n.Arch.ToName(), n.Batch.ToString(CultureInfo.InvariantCulture), NodeStateMarkup(n.State), Markup.Escape(CurrentStep(n)), Markup.Escape(Detail(n)));
        }

        console.Write(table);
        if (!wide)
        {
            return;
        }

        foreach (var n in r.Nodes)
        {
            console.WriteLine();
            console.WriteLine($"{n.Name}:");
            foreach (var s in n.Steps)
            {
                console.WriteLine($"  {s.Index + 1}. [{s.State.ToName()}] {s.Description}{(s.Reason.Length > 0 ? $": {s.Reason}" : "")}");
            }
        }
    }

    /// <summary>"3/10 drain k8s-node-1", or the last step for a finished node.</summary>
    public static string CurrentStep(RolloutNode n)
    {
        var step = n.Steps.FirstOrDefault(s => s.State is RolloutStepState.Running or RolloutStepState.Failed)
            ?? (n.State == RolloutNodeState.Succeeded ? n.Steps.LastOrDefault() : n.Steps.FirstOrDefault(s => s.State == RolloutStepState.Pending));
        return step is null ? "" : $"{step.Index + 1}/{n.Steps.Count} {step.Description}";
    }

    public static string Detail(RolloutNode n) =>
        n.Error.Length > 0 ? n.Error
        : n.BytesTotal > 0 || n.BytesDone > 0 ? Bar(n.BytesDone, n.BytesTotal)
        : n.LastLog;

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

    public static string LogLine(RolloutLogLine line) =>
        $"{line.At.ToDateTimeOffset():HH:mm:ss} {line.Level,-5} {(line.Node.Length > 0 ? line.Node : "-")}: {line.Message}";

    public static string StateMarkup(RolloutState state) => state switch
    {
        RolloutState.Succeeded => "[green]succeeded[/]",
        RolloutState.Running => "[blue]running[/]",
        RolloutState.Paused or RolloutState.Aborting => $"[yellow]{state.ToName()}[/]",
        _ => $"[red]{state.ToName()}[/]",
    };

    public static string NodeStateMarkup(RolloutNodeState state) => state switch
    {
        RolloutNodeState.Succeeded => "[green]succeeded[/]",
        RolloutNodeState.Running => "[blue]running[/]",
        RolloutNodeState.Failed => "[red]failed[/]",
        _ => $"[grey]{state.ToName()}[/]",
    };
}

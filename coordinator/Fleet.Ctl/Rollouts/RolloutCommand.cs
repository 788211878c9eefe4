using System.CommandLine;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;
using System.Text.Json;
using Grpc.Core;
using Google.Protobuf;

namespace Fleet.Ctl.Rollouts;

/// <summary>fleetctl rollout plan|apply|list|get|watch|pause|resume|abort|rollback|logs (docs/rollouts.md).</summary>
internal static class RolloutCommand
{
    public static Command Create(CtlContext ctx)
    {
        var rollout = new Command("rollout", "Rollouts: a YAML plan run in batches across the fleet, resumable and abortable (docs/rollouts.md)");
        rollout.Subcommands.Add(Plan(ctx));
        rollout.Subcommands.Add(Apply(ctx));
        rollout.Subcommands.Add(List(ctx));
        rollout.Subcommands.Add(Get(ctx));
        rollout.Subcommands.Add(Watch(ctx));
        rollout.Subcommands.Add(Control(ctx, "pause", "Pause: nodes in progress finish their steps, no new node starts"));
        rollout.Subcommands.Add(Control(ctx, "resume", "Resume a paused rollout; failed nodes retry from their failed step"));
        rollout.Subcommands.Add(Control(ctx, "abort", "Abort: cancel steps in flight, skip the rest, uncordon what Fleet cordoned"));
        rollout.Subcommands.Add(RolloutRollbackCommand.Create(ctx));
        rollout.Subcommands.Add(Logs(ctx));
        return rollout;
    }

    private static Option<FileInfo> FileOption() => new("--filename", "-f") { Description = "The plan YAML file ('-' reads standard input)", Required = true };

    private static Argument<string> IdArgument() => new("id") { Description = "The rollout's id, e.g. r3 (fleetctl rollout list)" };

    private static Command Plan(CtlContext ctx)
    {
        var file = FileOption();
        var output = OutputOption.Create(wide: false);
        var plan = new Command("plan", "Dry run: preflight, the batches, each node's versions (FROM → TO) and steps with the URL and sha256 for its arch; nothing is touched") { file, output };
        plan.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var yaml = await InputFile.ReadAsync(parse.GetValue(file)!, ct);
            var view = await connection.Client.PlanRolloutAsync(new RolloutPlanRequest { Yaml = yaml }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            var plan = RolloutView.From(view.Rollout);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(plan, RolloutJson.Default.RolloutView));
                return;
            }

            RolloutViews.PrintPlan(stdout, plan);
        }));
        return plan;
    }

    private static Command Apply(CtlContext ctx)
    {
        var file = FileOption();
        var watch = new Option<bool>("--watch", "-w") { Description = "Watch it until it ends; the exit code tells how it ended" };
        var apply = new Command("apply", "Preflight and start a rollout; refused with every problem before any node is touched") { file, watch };
        apply.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var yaml = await InputFile.ReadAsync(parse.GetValue(file)!, ct);
            var rollout = await connection.Client.ApplyRolloutAsync(new ApplyRolloutRequest { Yaml = yaml }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await stdout.WriteLineAsync($"rollout {rollout.Id} started: {rollout.Recipe} on {rollout.Nodes.Count} node(s) in {rollout.BatchCount} batch(es)");
            if (RolloutView.From(rollout).SkippedLine is { } skipped)
            {
                await stdout.WriteLineAsync(skipped);
            }
            if (parse.GetValue(watch))
            {
                await WatchAsync(ctx, connection, rollout.Id, stdout, ct);
            }
        }));
        return apply;
    }

    private static Command List(CtlContext ctx)
    {
        var output = OutputOption.Create();
        var list = new Command("list", "Rollouts, newest first: ID, NAME, RECIPE, STATE, AGE, REASON (-o wide adds BATCH, NODES, CREATED, FINISHED)") { output };
        list.Aliases.Add("ls");
        list.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.ListRolloutsAsync(new ListRolloutsRequest(), deadline: ControlConnection.Deadline, cancellationToken: ct);
            var views = response.Rollouts.Select(RolloutView.From).ToList();
            await ctx.WriteListAsync(stdout, views, parse.GetValue(output), RolloutJson.Default.ListRolloutView, "No rollouts.", wide => RolloutViews.List(views, wide, ctx.Now));
        }));
        return list;
    }

    private static Command Get(CtlContext ctx)
    {
        var id = IdArgument();
        var output = OutputOption.Create();
        var get = new Command("get", "A rollout: its state, batches, and each node's step (-o wide adds every step of every node)") { id, output };
        get.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var rollout = RolloutView.From(await connection.Client.GetRolloutAsync(new RolloutIdRequest { Id = parse.GetValue(id) }, deadline: ControlConnection.Deadline, cancellationToken: ct));
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(rollout, RolloutJson.Default.RolloutView));
                return;
            }

            RolloutViews.PrintRollout(stdout, ctx.Terminal(stdout), rollout, parse.GetValue(output) == OutputFormat.Wide);
        }));
        return get;
    }

    private static Command Watch(CtlContext ctx)
    {
        var id = IdArgument();
        var watch = new Command("watch", "Follow a rollout live until it ends or pauses; exit code 0 only when it succeeded") { id };
        watch.SetAction((parse, ct) => ctx.CallAsync(parse, (connection, stdout) => WatchAsync(ctx, connection, parse.GetValue(id)!, stdout, ct)));
        return watch;
    }

    private static Command Control(CtlContext ctx, string verb, string description)
    {
        var id = IdArgument();
        var command = new Command(verb, description) { id };
        command.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var request = new RolloutIdRequest { Id = parse.GetValue(id) };
            var rollout = verb switch
            {
                "pause" => await connection.Client.PauseRolloutAsync(request, deadline: ControlConnection.Deadline, cancellationToken: ct),
                "resume" => await connection.Client.ResumeRolloutAsync(request, deadline: ControlConnection.Deadline, cancellationToken: ct),
                _ => await connection.Client.AbortRolloutAsync(request, deadline: DateTime.UtcNow.AddMinutes(10), cancellationToken: ct),
            };
            await stdout.WriteLineAsync($"rollout {rollout.Id}: {rollout.State.ToName()}{(rollout.Reason.Length > 0 ? $" ({rollout.Reason})" : "")}");
        }));
        return command;
    }

    private static Command Logs(CtlContext ctx)
    {
        var id = IdArgument();
        var node = new Option<string>("--node") { Description = "Only this node's lines" };
        var output = OutputOption.Create(wide: false);
        var follow = new Option<bool>("--follow", "-f")
        {
            Description = "After the lines written so far, print each new one as it is written, until the rollout finishes (then exit 0); Ctrl-C stops following with exit 130. Not with -o json",
        };
        var logs = new Command("logs", "The rollout's log: every step, Kubernetes action and outcome, with the nodes' own output; rollout-wide lines are named (rollout)") { id, node, output, follow };
        logs.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(follow))
            {
                return parse.GetValue(output) == OutputFormat.Json
                    ? await ctx.UsageErrorAsync("--follow prints lines as they are written: use it without -o json (rollout logs -o json prints the whole log once)")
                    : await ctx.CallUntilInterruptedAsync(parse, (connection, stdout) => FollowLogsAsync(connection, parse.GetValue(id)!, parse.GetValue(node), stdout, ct), ct);
            }

            return await ctx.CallAsync(parse, (connection, stdout) => PrintLogsAsync(connection, parse, id, node, output, stdout, ct));
        });
        return logs;
    }

    /// <summary>`rollout logs -f`: the coordinator sends the old lines, then the live ones, and ends the stream when the rollout finishes.</summary>
    private static async Task FollowLogsAsync(ControlConnection connection, string id, string? node, TextWriter stdout, CancellationToken ct)
    {
        using var call = connection.Client.GetRolloutLogs(new RolloutLogsRequest { Id = id, Node = node ?? "", Follow = true }, cancellationToken: ct);
        await foreach (var line in call.ResponseStream.ReadAllAsync(ct))
        {
            await stdout.WriteLineAsync(RolloutViews.LogLine(RolloutLogLineView.From(line)));
            await stdout.FlushAsync(ct);
        }
    }

    private static async Task PrintLogsAsync(ControlConnection connection, ParseResult parse, Argument<string> id, Option<string> node, Option<OutputFormat> output, TextWriter stdout, CancellationToken ct)
    {
        using var call = connection.Client.GetRolloutLogs(new RolloutLogsRequest { Id = parse.GetValue(id), Node = parse.GetValue(node) ?? "" }, deadline: ControlConnection.Deadline, cancellationToken: ct);
        var lines = new List<RolloutLogLineView>();
        await foreach (var line in call.ResponseStream.ReadAllAsync(ct))
        {
            lines.Add(RolloutLogLineView.From(line));
        }

        if (parse.GetValue(output) == OutputFormat.Json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(lines, RolloutJson.Default.ListRolloutLogLineView));
            return;
        }

        foreach (var line in lines)
        {
            await stdout.WriteLineAsync(RolloutViews.LogLine(line));
        }
    }

    private static async Task WatchAsync(CtlContext ctx, ControlConnection connection, string id, TextWriter stdout, CancellationToken ct)
    {
        using var call = connection.Client.WatchRollout(new RolloutIdRequest { Id = id }, cancellationToken: ct);
        var last = await new RolloutWatchView(stdout, ctx.Terminal(stdout)).ShowAsync(call.ResponseStream, ct)
            ?? throw new CommandFailedException($"the watch of rollout {id} ended without a state");
        switch (last.State)
        {
            case RolloutState.Succeeded:
                return;
            case RolloutState.Paused:
                throw new CommandFailedException($"rollout {id} is paused: {last.Reason}");
            case RolloutState.Running or RolloutState.Aborting:
                throw new CommandFailedException($"the watch of rollout {id} ended while it was {last.State.ToName()} (the coordinator stopped?); `fleetctl rollout watch {id}` again");
            default:
                throw new CommandFailedException($"rollout {id} {last.State.ToName()}: {last.Reason}");
        }
    }
}

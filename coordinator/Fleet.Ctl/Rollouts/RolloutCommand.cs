using System.CommandLine;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;
using Grpc.Core;
using Google.Protobuf;
using Spectre.Console;

namespace Fleet.Ctl.Rollouts;

/// <summary>fleetctl rollout plan|apply|list|get|watch|pause|resume|abort|logs (docs/rollouts.md).</summary>
internal static class RolloutCommand
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithIndentation().WithFormatDefaultValues(false));

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
        rollout.Subcommands.Add(Logs(ctx));
        return rollout;
    }

    private static Option<FileInfo> FileOption() => new("--filename", "-f") { Description = "The plan YAML file ('-' reads standard input)", Required = true };

    private static Argument<string> IdArgument() => new("id") { Description = "The rollout's id, e.g. r3 (fleetctl rollout list)" };

    private static Command Plan(CtlContext ctx)
    {
        var file = FileOption();
        var output = OutputOption.Create();
        var plan = new Command("plan", "Dry run: preflight, the batches, and each node's steps with the URL and sha256 for its arch; nothing is touched") { file, output };
        plan.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var yaml = await InputFile.ReadAsync(parse.GetValue(file)!, ct);
            var view = await connection.Client.PlanRolloutAsync(new RolloutPlanRequest { Yaml = yaml }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await stdout.WriteLineAsync(Json.Format(view.Rollout));
                return;
            }

            RolloutViews.PrintPlan(Terminal.For(stdout), view.Rollout);
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
            if (parse.GetValue(watch))
            {
                await WatchAsync(connection, rollout.Id, stdout, ct);
            }
        }));
        return apply;
    }

    private static Command List(CtlContext ctx)
    {
        var output = OutputOption.Create();
        var list = new Command("list", "Rollouts, newest first") { output };
        list.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.ListRolloutsAsync(new ListRolloutsRequest(), deadline: ControlConnection.Deadline, cancellationToken: ct);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await stdout.WriteLineAsync(Json.Format(response));
                return;
            }

            var console = Terminal.For(stdout);
            var table = Terminal.Table("ID", "NAME", "RECIPE", "STATE", "AGE", "REASON");
            foreach (var r in response.Rollouts)
            {
                table.AddRow(r.Id, Terminal.OrDash(r.Name), Markup.Escape(r.Recipe), RolloutViews.StateMarkup(r.State), Ago.Format(ctx.Now - r.CreatedAt.ToDateTimeOffset()), Markup.Escape(r.Reason));
            }

            console.Write(table);
        }));
        return list;
    }

    private static Command Get(CtlContext ctx)
    {
        var id = IdArgument();
        var output = OutputOption.Create();
        var get = new Command("get", "A rollout: its state, batches, and each node's steps") { id, output };
        get.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var rollout = await connection.Client.GetRolloutAsync(new RolloutIdRequest { Id = parse.GetValue(id) }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await stdout.WriteLineAsync(Json.Format(rollout));
                return;
            }

            RolloutViews.PrintRollout(Terminal.For(stdout), rollout, parse.GetValue(output) == OutputFormat.Wide);
        }));
        return get;
    }

    private static Command Watch(CtlContext ctx)
    {
        var id = IdArgument();
        var watch = new Command("watch", "Follow a rollout live until it ends or pauses; exit code 0 only when it succeeded") { id };
        watch.SetAction((parse, ct) => ctx.CallAsync(parse, (connection, stdout) => WatchAsync(connection, parse.GetValue(id)!, stdout, ct)));
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
        var logs = new Command("logs", "The rollout's log: every step, Kubernetes action and outcome, with the nodes' own output") { id, node };
        logs.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            using var call = connection.Client.GetRolloutLogs(new RolloutLogsRequest { Id = parse.GetValue(id), Node = parse.GetValue(node) ?? "" }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await foreach (var line in call.ResponseStream.ReadAllAsync(ct))
            {
                await stdout.WriteLineAsync(RolloutViews.LogLine(line));
            }
        }));
        return logs;
    }

    private static async Task WatchAsync(ControlConnection connection, string id, TextWriter stdout, CancellationToken ct)
    {
        using var call = connection.Client.WatchRollout(new RolloutIdRequest { Id = id }, cancellationToken: ct);
        var last = await new RolloutWatchView(stdout).ShowAsync(call.ResponseStream, ct)
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

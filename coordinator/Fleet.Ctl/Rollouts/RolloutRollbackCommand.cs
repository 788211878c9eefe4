using System.CommandLine;
using System.Text.Json;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;

namespace Fleet.Ctl.Rollouts;

/// <summary>`fleetctl rollout rollback ID [--dry-run]`: a new rollout that returns the workers ID upgraded to their previous files (docs/rollouts.md#undoing-an-upgrade).</summary>
internal static class RolloutRollbackCommand
{
    public static Command Create(CtlContext ctx)
    {
        var id = new Argument<string>("id") { Description = "The finished rollout to undo, e.g. r3 (fleetctl rollout list)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the rollback's plan, as `rollout plan` shows a plan; nothing is stored or touched" };
        var output = OutputOption.Create(wide: false);
        var command = new Command(
            "rollback",
            "Start a new rollout that puts back on each worker what a finished rollout replaced (cordon, drain, restore, restart kubelet, wait Ready at the previous version, uncordon), "
            + "in batches with the original's strategy and gates; control-plane nodes are refused (restore the etcd snapshot instead)")
        {
            id, dryRun, output,
        };
        command.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var request = new RollbackRolloutRequest { Id = parse.GetValue(id), DryRun = parse.GetValue(dryRun) };
            var response = await connection.Client.RollbackRolloutAsync(request, deadline: ControlConnection.Deadline, cancellationToken: ct);
            var view = RolloutView.From(response.Rollout);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(view, RolloutJson.Default.RolloutView));
                return;
            }

            if (request.DryRun)
            {
                RolloutViews.PrintPlan(stdout, view);
                await stdout.WriteLineAsync();
            }
            else
            {
                await stdout.WriteLineAsync($"rollout {view.Id} started: rollback of {request.Id} on {view.Nodes.Count} node(s) in {view.BatchCount} batch(es)");
            }

            foreach (var refused in response.Refused)
            {
                await stdout.WriteLineAsync($"left out: {refused}");
            }

            if (!request.DryRun)
            {
                await stdout.WriteLineAsync($"follow it: fleetctl rollout watch {view.Id}");
            }
        }));
        return command;
    }
}

using Fleet.Coordinator.Rollouts;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

/// <summary>
/// `fleetctl run`: a rollout of one batch with one step (<see cref="RunStepPlan"/>), through the rollout
/// engine's apply path (the plan parser's checks, <see cref="RolloutPreflight"/>: connected, approved, not
/// held by a rollout, every architecture served; then the store, the driver, the logs, crash safety), streamed
/// back as plan, updates and one result per node (<see cref="RunStepEvents"/>). A client that cancels the
/// call (Ctrl-C) aborts the rollout, which cancels the step on the nodes; a coordinator that stops leaves it to
/// resume after its restart.
/// </summary>
public sealed class RunStepApi(RolloutEngine engine, IHostApplicationLifetime lifetime, TimeProvider time)
{
    private static readonly TimeSpan AbortWait = TimeSpan.FromSeconds(30);

    public async Task RunAsync(RunStepRequest request, IServerStreamWriter<RunStepEvent> stream, CancellationToken ct)
    {
        var (plan, invalid) = RunStepPlan.From(request);
        if (plan is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"refusing to run; nothing was sent:\n  {string.Join("\n  ", invalid)}"));
        }

        var (run, problems) = await engine.ApplyAsync(plan, ct);
        if (run is null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"refusing to run; nothing was sent:\n  {string.Join("\n  ", problems)}"));
        }

        try
        {
            await RunStepEvents.StreamAsync(run, stream, ct);
        }
        catch (Exception) when (ct.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // The client cancelled. A coordinator that is stopping ends every call too: that run is not
            // aborted but resumed after the restart, like any rollout.
            await AbortAsync(run.Id);
            throw;
        }
    }

    /// <summary>The client went away: abort, as an operator's `fleetctl rollout abort` would.</summary>
    private async Task AbortAsync(string id)
    {
        using var bound = new CancellationTokenSource(AbortWait, time);
        try
        {
            await engine.AbortAsync(id, bound.Token);
        }
        catch (RolloutStateException)
        {
            // It finished (or was aborted by an operator) first: nothing to abort.
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            // The abort is recorded and under way; only the wait for it ends here.
        }
    }
}

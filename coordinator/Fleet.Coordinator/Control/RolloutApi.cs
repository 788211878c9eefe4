using Fleet.Coordinator.Rollouts;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

/// <summary>`fleetctl rollout ...`: plan, apply, list, get, watch, pause, resume, abort, rollback, logs.</summary>
public sealed class RolloutApi(RolloutEngine engine, RollbackRollouts rollbacks)
{
    public async Task<RolloutPlanView> PlanAsync(RolloutPlanRequest request, CancellationToken ct)
    {
        var (view, problems) = await engine.PlanAsync(Yaml(request.Yaml), ct);
        return view is null ? throw Refused("the plan cannot be served", problems) : new RolloutPlanView { Rollout = view };
    }

    public async Task<Rollout> ApplyAsync(ApplyRolloutRequest request, CancellationToken ct)
    {
        var (view, problems) = await engine.ApplyAsync(Yaml(request.Yaml), ct);
        return view ?? throw Refused("refusing to start the rollout; no node was touched", problems);
    }

    public async Task<ListRolloutsResponse> ListAsync(CancellationToken ct)
    {
        var response = new ListRolloutsResponse();
        response.Rollouts.AddRange(await engine.ListAsync(ct));
        return response;
    }

    public async Task<Rollout> GetAsync(RolloutIdRequest request, CancellationToken ct) =>
        await engine.GetAsync(Id(request.Id), ct) ?? throw NotFound(request.Id);

    public async Task WatchAsync(RolloutIdRequest request, IServerStreamWriter<RolloutEvent> stream, CancellationToken ct)
    {
        var id = Id(request.Id);
        if (engine.Live(id) is { } run && !run.Read(v => v.State).IsFinished() && run.Read(v => v.State) != RolloutState.Paused)
        {
            await foreach (var e in run.Watch(ct).ReadAllAsync(ct))
            {
                await stream.WriteAsync(e, ct);
            }

            return;
        }

        // Finished or paused: one snapshot, the last word.
        await stream.WriteAsync(new RolloutEvent { Snapshot = await engine.GetAsync(id, ct) ?? throw NotFound(id) }, ct);
    }

    public Task<Rollout> PauseAsync(RolloutIdRequest request, CancellationToken ct) => Guard(() => engine.PauseAsync(Id(request.Id), ct));

    public Task<Rollout> ResumeAsync(RolloutIdRequest request, CancellationToken ct) => Guard(() => engine.ResumeAsync(Id(request.Id), ct));

    public Task<Rollout> AbortAsync(RolloutIdRequest request, CancellationToken ct) => Guard(() => engine.AbortAsync(Id(request.Id), ct));

    /// <summary>A new rollout returning the workers <see cref="RollbackRolloutRequest.Id"/> upgraded to their previous files (RollbackPlanner).</summary>
    public async Task<RollbackRolloutResponse> RollbackAsync(RollbackRolloutRequest request, CancellationToken ct)
    {
        var id = Id(request.Id);
        (Rollout? View, IReadOnlyList<string> Refused, List<string> Problems)? result;
        try
        {
            result = await rollbacks.RollbackAsync(id, request.DryRun, ct);
        }
        catch (RolloutStateException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }

        var (view, refused, problems) = result ?? throw NotFound(id);
        if (view is null)
        {
            throw Refused(request.DryRun ? $"the rollback of {id} cannot be served" : $"refusing to start the rollback of {id}; no node was touched", problems);
        }

        return new RollbackRolloutResponse { Rollout = view, Refused = { refused } };
    }

    public async Task LogsAsync(RolloutLogsRequest request, IServerStreamWriter<RolloutLogLine> stream, CancellationToken ct)
    {
        var id = Id(request.Id);
        var rollout = await engine.GetAsync(id, ct) ?? throw NotFound(id);
        if (request.Node.Length > 0 && rollout.Nodes.All(n => n.Name != request.Node))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"rollout {id} has no node {request.Node} (it has: {string.Join(", ", rollout.Nodes.Select(n => n.Name))})"));
        }

        var node = request.Node.Length > 0 ? request.Node : null;
        await foreach (var line in request.Follow ? engine.FollowLogsAsync(id, node, ct) : engine.LogsAsync(id, node, ct))
        {
            await stream.WriteAsync(line, ct);
        }
    }

    private static async Task<Rollout> Guard(Func<Task<Rollout>> action)
    {
        try
        {
            return await action();
        }
        catch (RolloutStateException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
    }

    private static string Yaml(string yaml) =>
        string.IsNullOrWhiteSpace(yaml) ? throw new RpcException(new Status(StatusCode.InvalidArgument, "the plan is empty")) : yaml;

    private static string Id(string id) =>
        string.IsNullOrWhiteSpace(id) ? throw new RpcException(new Status(StatusCode.InvalidArgument, "rollout id: missing")) : id.Trim();

    private static RpcException NotFound(string id) => new(new Status(StatusCode.NotFound, $"no rollout {id} (fleetctl rollout list)"));

    private static RpcException Refused(string what, IEnumerable<string> problems) =>
        new(new Status(StatusCode.FailedPrecondition, $"{what}:\n  {string.Join("\n  ", problems)}"));
}

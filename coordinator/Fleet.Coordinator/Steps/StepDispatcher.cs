using System.Collections.Concurrent;
using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Metrics;
using Fleet.V1;

namespace Fleet.Coordinator.Steps;

/// <summary>
/// Sends steps to connected agents and routes their updates and results back to whoever waits.
/// A step whose agent reconnects is sent again: the agent answers it from its journal or from the
/// run still in progress, never runs it twice. Results are accepted only from the node the step
/// was sent to (identity from the connection). A node awaiting approval is sent nothing.
/// </summary>
public sealed class StepDispatcher(AgentRegistry registry, AgentLimits limits, FleetMetrics metrics)
{
    private readonly ConcurrentDictionary<string, PendingStep> _pending = new(StringComparer.Ordinal);

    private sealed record PendingStep(string NodeId, StepRequest Request, Func<StepUpdate, ValueTask> OnUpdate, TaskCompletionSource<StepResult> Result)
    {
        private int _lines;

        /// <summary>How many of <paramref name="count"/> new log lines fit in the step's budget; the rest are dropped.</summary>
        public int Admit(int count, int max)
        {
            var before = Interlocked.Add(ref _lines, count) - count;
            return Math.Clamp(max - before, 0, count);
        }
    }

    /// <summary>Runs a step on a node and returns its result; an unreachable node fails the step with a reason.</summary>
    public async Task<StepResult> RunAsync(string nodeId, StepRequest request, Func<StepUpdate, ValueTask> onUpdate, TimeSpan wait, CancellationToken ct)
    {
        var pending = new PendingStep(nodeId, request, onUpdate, new TaskCompletionSource<StepResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.TryAdd(request.Id, pending))
        {
            throw new InvalidOperationException($"step {request.Id} is already pending");
        }

        try
        {
            if (registry.Find(nodeId) is { Approved: true } agent)
            {
                await agent.Outbox.Writer.WriteAsync(new CoordinatorMessage { StepRequest = request }, ct);
            }

            // Not connected (or not approved) now: sent when the agent attaches (see Resend).
            return await pending.Result.Task.WaitAsync(wait, ct);
        }
        catch (TimeoutException)
        {
            return new StepResult { Id = request.Id, Outcome = StepOutcome.Failed, Reason = $"no result from the node within {wait.TotalSeconds:0} s" };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            if (registry.Find(nodeId) is { } agent)
            {
                agent.Outbox.Writer.TryWrite(new CoordinatorMessage { CancelStep = new CancelStep { Id = request.Id } });
            }

            throw;
        }
        finally
        {
            _pending.TryRemove(request.Id, out _);
        }
    }

    /// <summary>A node (re)attached: send it every step still waiting for it.</summary>
    public async Task ResendAsync(ConnectedAgent agent, CancellationToken ct)
    {
        if (!agent.Approved)
        {
            return; // a node awaiting `fleetctl nodes approve` receives no step
        }

        foreach (var pending in _pending.Values.Where(p => p.NodeId == agent.NodeId))
        {
            await agent.Outbox.Writer.WriteAsync(new CoordinatorMessage { StepRequest = pending.Request }, ct);
        }
    }

    public async ValueTask OnUpdateAsync(string nodeId, StepUpdate update)
    {
        if (_pending.TryGetValue(update.Id, out var pending) && pending.NodeId == nodeId)
        {
            var admitted = pending.Admit(update.LogLines.Count, limits.MaxLogLinesPerStep);
            if (admitted < update.LogLines.Count)
            {
                metrics.StepLogLinesDropped.Inc(update.LogLines.Count - admitted);
                var kept = update.LogLines.Take(admitted).ToList();
                update.LogLines.Clear();
                update.LogLines.AddRange(kept);
            }

            await pending.OnUpdate(update);
        }
    }

    public void OnResult(string nodeId, StepResult result)
    {
        if (_pending.TryGetValue(result.Id, out var pending) && pending.NodeId == nodeId)
        {
            pending.Result.TrySetResult(result);
        }
    }
}

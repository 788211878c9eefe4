using Fleet.V1;

namespace Fleet.Coordinator.Rollouts.Gates;

public enum GateVerdict
{
    /// <summary>Every gate held (or the plan has none, or no node has run yet): the next batch may start.</summary>
    Held,

    /// <summary>A gate failed: the rollout is paused with the gate's reason.</summary>
    Failed,

    /// <summary>An abort or the operator's pause ended the check: the driver stops the rollout there.</summary>
    Interrupted,
}

/// <summary>
/// Checks a plan's `strategy.gates` after a batch, before the next one starts (and before the rollout succeeds):
/// every gate in order, then, when the plan has a soak, the soak's wait and every other gate again. The first gate
/// that fails pauses the rollout with its reason; a resume checks every gate again before any new node starts. The
/// gate being checked is shown in the rollout's view (field gate); an abort or the operator's pause ends a wait at once.
/// </summary>
public sealed class GateChecker(
    RolloutTransitions transitions,
    NodesReadyGateCheck nodesReady,
    PrometheusGateCheck prometheus,
    HttpGateCheck http,
    TimeProvider time,
    ILogger<GateChecker> logger,
    Metrics.RolloutMetrics? metrics = null)
{
    public async Task<GateVerdict> CheckAsync(RolloutRun run, CancellationToken stopping)
    {
        var gates = run.Plan.Strategy.Gates;
        if (gates.Count == 0 || !run.Read(v => v.Nodes.Any(n => n.State != RolloutNodeState.Pending)))
        {
            return GateVerdict.Held; // gates follow a batch: before the first node ran there is nothing to check
        }

        using var linked = run.Interruptible(stopping);
        try
        {
            await transitions.LogAsync(run, "", "info", $"checking {gates.Count} gate(s): {string.Join("; ", gates.Select(g => g.Describe()))}", stopping);
            var checks = gates.Where(g => g is not SoakGate).ToList();
            if (await FirstFailureAsync(run, checks, linked.Token) is { } failed)
            {
                return await FailAsync(run, failed, stopping);
            }

            if (gates.OfType<SoakGate>().FirstOrDefault() is { } soak)
            {
                var soaking = Task.Delay(soak.Duration, time, linked.Token); // the timer runs from here, before the log line says so
                Show(run, $"{soak.Describe()}: until {time.GetUtcNow().Add(soak.Duration):u}");
                await transitions.LogAsync(run, "", "info", $"gate {soak.Describe()}: waiting, then checking every other gate again", stopping);
                await soaking;
                metrics?.ObserveGateWait(soak.Kind, soak.Duration, passed: true);
                if (await FirstFailureAsync(run, checks, linked.Token) is { } afterSoak)
                {
                    return await FailAsync(run, afterSoak, stopping);
                }
            }

            await transitions.LogAsync(run, "", "info", "every gate held", stopping);
            return GateVerdict.Held;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            await transitions.LogAsync(run, "", "info", "gate check ended by the operator (pause or abort)", stopping);
            return GateVerdict.Interrupted;
        }
        finally
        {
            Show(run, "");
        }
    }

    /// <summary>The first gate that does not hold, with why; null when all hold.</summary>
    private async Task<(Gate Gate, string Why)?> FirstFailureAsync(RolloutRun run, List<Gate> checks, CancellationToken ct)
    {
        foreach (var gate in checks)
        {
            Show(run, gate.Describe());
            var started = time.GetUtcNow();
            var why = gate switch
            {
                NodesReadyGate n => await nodesReady.CheckAsync(n, run, ct),
                PrometheusGate p => await prometheus.CheckAsync(p, progress => Show(run, $"{p.Describe()}: {progress}"), ct),
                HttpGate h => await http.CheckAsync(h, ct),
                _ => throw new InvalidOperationException($"no check for gate {gate.Describe()}"),
            };
            ct.ThrowIfCancellationRequested(); // a check cut short by a pause or abort is not a failure
            metrics?.ObserveGateWait(gate.Kind, time.GetUtcNow() - started, passed: why is null);
            if (why is not null)
            {
                return (gate, why);
            }

            await transitions.LogAsync(run, "", "info", $"gate {gate.Describe()}: held", ct);
        }

        return null;
    }

    private async Task<GateVerdict> FailAsync(RolloutRun run, (Gate Gate, string Why) failed, CancellationToken stopping)
    {
        Show(run, ""); // the snapshot that says paused no longer shows a gate being checked
        var failure = $"gate {failed.Gate.Describe()} failed: {failed.Why}";
        var reason = $"{failure}; fix it, then `fleetctl rollout resume {run.Id}` (every gate is checked again before any new node starts) or `abort`";
        GateLog.GateFailed(logger, run.Id, failed.Gate.Describe(), failed.Why);
        await transitions.LogAsync(run, "", "warn", failure, stopping);
        await transitions.AnnounceAsync(run, RolloutAnnouncement.GateFailed, failure, stopping);
        await transitions.SetStateAsync(run, RolloutState.Paused, reason, stopping);
        await transitions.LogAsync(run, "", "warn", $"rollout {RolloutState.Paused.ToName()}: {reason}", stopping);
        return GateVerdict.Failed;
    }

    private static void Show(RolloutRun run, string gate) => run.Change(v => v.Gate = gate);
}

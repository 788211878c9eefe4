using System.Collections.Concurrent;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;
using Prometheus;

namespace Fleet.Coordinator.Metrics;

/// <summary>
/// Rollout metrics, in the coordinator's registry: rollouts by state and the nodes of unfinished rollouts by
/// state (read from the store at scrape time, so they survive a restart), step durations by kind and outcome
/// (heard from <see cref="RolloutTransitions"/>: a step that was running across a restart is not timed), and the
/// time spent waiting on gates (<see cref="ObserveGateWait"/>, called by the gate code).
/// </summary>
public sealed class RolloutMetrics : IRolloutListener
{
    private readonly ConcurrentDictionary<(string Rollout, string Node, int Index), DateTimeOffset> _running = new();
    private readonly Gauge _rollouts;
    private readonly Gauge _nodes;

    public RolloutMetrics(FleetMetrics fleet, IRolloutStore store)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(fleet.Registry);
        _rollouts = factory.CreateGauge("fleet_rollouts", "Rollouts by state (every rollout the store holds).", "state");
        _nodes = factory.CreateGauge("fleet_rollout_nodes", "Nodes of the unfinished rollouts (running, paused, aborting) by their state in the rollout.", "state");
        StepDuration = factory.CreateHistogram(
            "fleet_rollout_step_duration_seconds",
            "How long rollout steps ran, by step kind and outcome (succeeded, failed, cancelled).",
            new HistogramConfiguration { LabelNames = ["kind", "outcome"], Buckets = StepBuckets });
        GateWait = factory.CreateHistogram(
            "fleet_rollout_gate_wait_seconds",
            "How long a gate between batches was checked before it passed or failed, by gate kind and outcome (passed, failed).",
            new HistogramConfiguration { LabelNames = ["gate", "outcome"], Buckets = GateBuckets });
        fleet.Registry.AddBeforeCollectCallback(async ct =>
        {
            var byState = (await store.ListAsync(ct)).GroupBy(r => r.State).ToDictionary(g => g.Key, g => g.Count());
            foreach (var state in RolloutStates)
            {
                _rollouts.WithLabels(state.ToName()).Set(byState.GetValueOrDefault(state));
            }

            var nodes = new Dictionary<RolloutNodeState, int>();
            foreach (var id in await store.ActiveIdsAsync(ct))
            {
                foreach (var node in (await store.GetAsync(id, ct))?.View.Nodes ?? [])
                {
                    nodes[node.State] = nodes.GetValueOrDefault(node.State) + 1;
                }
            }

            foreach (var state in NodeStates)
            {
                _nodes.WithLabels(state.ToName()).Set(nodes.GetValueOrDefault(state));
            }
        });
    }

    public static double[] StepBuckets { get; } = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

    public static double[] GateBuckets { get; } = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600];

    private static readonly RolloutState[] RolloutStates =
        [RolloutState.Running, RolloutState.Paused, RolloutState.Aborting, RolloutState.Succeeded, RolloutState.Failed, RolloutState.Aborted];

    private static readonly RolloutNodeState[] NodeStates =
        [RolloutNodeState.Pending, RolloutNodeState.Running, RolloutNodeState.Succeeded, RolloutNodeState.Failed, RolloutNodeState.Skipped, RolloutNodeState.RolledBack];

    public Histogram StepDuration { get; }

    public Histogram GateWait { get; }

    /// <summary>A gate (nodesReady, soak, prometheus, http) was waited on for <paramref name="waited"/> and then passed or failed.</summary>
    public void ObserveGateWait(string gate, TimeSpan waited, bool passed) =>
        GateWait.WithLabels(gate, passed ? "passed" : "failed").Observe(Math.Max(0, waited.TotalSeconds));

    public void OnChange(RolloutChange change)
    {
        if (change is not RolloutStepChanged step)
        {
            return;
        }

        var key = (step.Run.Id, step.Node, step.Index);
        if (step.To == RolloutStepState.Running)
        {
            _running[key] = step.At;
        }
        else if (step.To is RolloutStepState.Succeeded or RolloutStepState.Failed or RolloutStepState.Cancelled && _running.TryRemove(key, out var started))
        {
            StepDuration.WithLabels(step.Kind, step.To.ToName()).Observe(Math.Max(0, (step.At - started).TotalSeconds));
        }
        else if (step.To == RolloutStepState.Pending)
        {
            _running.TryRemove(key, out _);
        }
    }
}

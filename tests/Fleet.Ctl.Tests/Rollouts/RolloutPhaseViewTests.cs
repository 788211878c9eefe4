using System.Text.Json;
using Fleet.Ctl.Rollouts;
using Fleet.V1;

namespace Fleet.Ctl.Tests.Rollouts;

/// <summary>A multi-hop upgrade as fleetctl shows it: each phase in `rollout plan`, the current phase in `rollout get`,
/// a node between two phases as "phase 1 of 2 done", and the phases in JSON.</summary>
public sealed class RolloutPhaseViewTests
{
    /// <summary>cp1 (batch 1) and w1 (batch 2), two steps per phase, phases v1.13.4 (batches 1-2) and v1.14.10 (3-4).</summary>
    private static Rollout TwoPhases(params RolloutStepState[] w1States)
    {
        var rollout = new Rollout { Id = "r1", State = RolloutState.Running, Recipe = "upgrade-kubernetes v1.14.10", BatchCount = 4, CurrentBatch = 3, CurrentPhase = 2 };
        rollout.Phases.Add(new RolloutPhase { Number = 1, Version = "v1.13.4", FirstBatch = 1, LastBatch = 2, Note = "the newest v1.13 patch that serves every targeted arch; v1.13.5 has no arm build of kubelet" });
        rollout.Phases.Add(new RolloutPhase { Number = 2, Version = "v1.14.10", FirstBatch = 3, LastBatch = 4 });
        foreach (var (name, batch) in new[] { ("cp1", 1), ("w1", 2) })
        {
            var node = new RolloutNode { Name = name, Arch = Arch.Amd64, Batch = batch, State = RolloutNodeState.Running };
            string[] versions = ["v1.13.4", "v1.13.4", "v1.14.10", "v1.14.10"];
            for (var i = 0; i < 4; i++)
            {
                var state = name == "w1" && w1States.Length > 0 ? w1States[i] : i < 2 ? RolloutStepState.Succeeded : RolloutStepState.Pending;
                node.Steps.Add(new RolloutStep { Index = i, Kind = i % 2 == 0 ? "kubeadm-upgrade" : "wait-ready", Description = $"{(i % 2 == 0 ? "kubeadm upgrade" : "wait Ready at")} {versions[i]} on {name}", Phase = (i / 2) + 1, State = state });
            }

            rollout.Nodes.Add(node);
        }

        return rollout;
    }

    [Fact]
    public void Plan_PrintsEachPhase_WithItsBatches_AndOnlyThatPhasesSteps()
    {
        var w = new StringWriter { NewLine = "\n" };

        RolloutViews.PrintPlan(w, RolloutView.From(TwoPhases()));

        Assert.Equal("""
            plan: upgrade-kubernetes v1.14.10 on 2 node(s) in 4 batch(es) in 2 phases; preflight passed, nothing was touched
            phases: v1.13.4 -> v1.14.10 (Kubernetes cannot skip a minor version; a phase starts when the previous one finished on every node)

            phase 1 of 2: v1.13.4, batches 1-2 (the newest v1.13 patch that serves every targeted arch; v1.13.5 has no arm build of kubelet)

            batch 1: cp1
              cp1 (amd64)
                1. kubeadm upgrade v1.13.4 on cp1
                2. wait Ready at v1.13.4 on cp1

            batch 2: w1
              w1 (amd64)
                1. kubeadm upgrade v1.13.4 on w1
                2. wait Ready at v1.13.4 on w1

            phase 2 of 2: v1.14.10, batches 3-4

            batch 3: cp1
              cp1 (amd64)
                3. kubeadm upgrade v1.14.10 on cp1
                4. wait Ready at v1.14.10 on cp1

            batch 4: w1
              w1 (amd64)
                3. kubeadm upgrade v1.14.10 on w1
                4. wait Ready at v1.14.10 on w1

            """, w.ToString());
    }

    [Fact]
    public void Get_ShowsTheCurrentPhase_AndANodeBetweenPhasesAsPhaseOneDone()
    {
        var view = RolloutView.From(TwoPhases(RolloutStepState.Succeeded, RolloutStepState.Succeeded, RolloutStepState.Running, RolloutStepState.Pending));
        var w = new StringWriter { NewLine = "\n" };

        RolloutViews.PrintRollout(w, new Fleet.Ctl.Output.TerminalInfo(200, false), view, wide: false);

        Assert.Contains("  batch 3 of 4, phase 2 of 2 (v1.14.10); created", w.ToString());
        Assert.Equal("phase 1 of 2 done, waiting for the other nodes", RolloutViews.BetweenPhases(view.Nodes[0]));
        Assert.Null(RolloutViews.BetweenPhases(view.Nodes[1])); // its phase 2 is running
        Assert.Contains("phase 1 of 2 done, waiting for the other nodes", w.ToString());
    }

    [Theory]
    [InlineData(RolloutStepState.Succeeded, RolloutStepState.Failed, RolloutStepState.Pending, RolloutStepState.Pending)] // failed in phase 1
    [InlineData(RolloutStepState.Succeeded, RolloutStepState.Pending, RolloutStepState.Pending, RolloutStepState.Pending)] // in phase 1
    [InlineData(RolloutStepState.Succeeded, RolloutStepState.Succeeded, RolloutStepState.Succeeded, RolloutStepState.Pending)] // in phase 2
    [InlineData(RolloutStepState.Succeeded, RolloutStepState.Succeeded, RolloutStepState.Cancelled, RolloutStepState.Pending)] // cut short
    public void BetweenPhases_IsSaidOnlyOfARunningNodeWhoseNextPhaseHasNotBegun(params RolloutStepState[] states)
    {
        Assert.Null(RolloutViews.BetweenPhases(RolloutView.From(TwoPhases(states)).Nodes[1]));
    }

    [Fact]
    public void OnePhase_ShowsNoPhase()
    {
        var rollout = TwoPhases();
        rollout.Phases.Clear();
        rollout.CurrentPhase = 1;
        foreach (var step in rollout.Nodes.SelectMany(n => n.Steps))
        {
            step.Phase = 1;
        }

        var view = RolloutView.From(rollout);

        Assert.Null(view.PhaseLine);
        Assert.Null(RolloutViews.BetweenPhases(view.Nodes[0]));
    }

    [Fact]
    public void Json_CarriesThePhases_TheCurrentPhase_AndEachStepsPhase()
    {
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(RolloutView.From(TwoPhases()), RolloutJson.Default.RolloutView));

        var phases = json.RootElement.GetProperty("phases");
        Assert.Equal(["1 v1.13.4 1-2", "2 v1.14.10 3-4"], phases.EnumerateArray().Select(p => $"{p.GetProperty("number").GetInt32()} {p.GetProperty("version").GetString()} {p.GetProperty("firstBatch").GetInt32()}-{p.GetProperty("lastBatch").GetInt32()}"));
        Assert.StartsWith("the newest v1.13 patch", phases[0].GetProperty("note").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("currentPhase").GetInt32());
        Assert.Equal([1, 1, 2, 2], json.RootElement.GetProperty("nodes")[0].GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("phase").GetInt32()));
    }
}

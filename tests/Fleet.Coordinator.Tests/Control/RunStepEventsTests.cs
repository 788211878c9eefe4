using Fleet.Coordinator.Control;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Control;

public class RunStepEventsTests
{
    private static Rollout Snapshot(RolloutState state, params (string Name, RolloutNodeState Node, RolloutStepState Step, string Reason)[] nodes)
    {
        var view = new Rollout { Id = "r7", State = state };
        foreach (var (name, node, step, reason) in nodes)
        {
            var n = new RolloutNode { Name = name, Arch = Arch.Arm64, State = node, Error = node == RolloutNodeState.Failed ? $"step 1 (download): {reason}" : "" };
            n.Steps.Add(new RolloutStep { Index = 0, Kind = "download", StepId = $"r7-n-{name}-0", Url = $"https://dl.example/{name}", Sha256 = "ab", State = step, Reason = reason });
            view.Nodes.Add(n);
        }

        return view;
    }

    [Fact]
    public void OnlyTheFinalSnapshot_StillGivesOneResultPerNode_WithTheAgentsOwnOutcome()
    {
        var events = new RunStepEvents();
        var plan = events.Plan(Snapshot(RolloutState.Running, ("a", RolloutNodeState.Pending, RolloutStepState.Pending, ""), ("b", RolloutNodeState.Pending, RolloutStepState.Pending, ""), ("c", RolloutNodeState.Pending, RolloutStepState.Pending, "")));

        // Every event in between was dropped by a slow watcher: only the last snapshot arrives.
        var results = events.OnSnapshot(Snapshot(
            RolloutState.Failed,
            ("a", RolloutNodeState.Succeeded, RolloutStepState.Succeeded, "already satisfied: kubectl is in place (answered from the node's journal)"),
            ("b", RolloutNodeState.Failed, RolloutStepState.Failed, "HTTP 404"),
            ("c", RolloutNodeState.Skipped, RolloutStepState.Pending, ""))).ToList();

        Assert.Equal("r7", plan.Plan.RolloutId);
        Assert.Equal(["a", "b", "c"], plan.Plan.Steps.Select(s => s.Node));
        Assert.Equal(["a", "b", "c"], results.Select(r => r.Result.Node));
        Assert.Equal((StepOutcome.AlreadySatisfied, "kubectl is in place", true, "r7-n-a-0"), (results[0].Result.Result.Outcome, results[0].Result.Result.Reason, results[0].Result.Result.FromJournal, results[0].Result.Result.Id));
        Assert.Equal((StepOutcome.Failed, "HTTP 404"), (results[1].Result.Result.Outcome, results[1].Result.Result.Reason));
        Assert.Equal(StepOutcome.Failed, results[2].Result.Result.Outcome);
        Assert.True(RunStepEvents.Ended(Snapshot(RolloutState.Failed)));
    }

    [Fact]
    public void ANodesResult_IsSentOnce_AndItsLogLinesStopThere()
    {
        var events = new RunStepEvents();
        events.Plan(Snapshot(RolloutState.Running, ("a", RolloutNodeState.Pending, RolloutStepState.Pending, "")));
        var done = Snapshot(RolloutState.Running, ("a", RolloutNodeState.Succeeded, RolloutStepState.Succeeded, "installed"));

        Assert.Single(events.OnLog(new RolloutLogLine { Node = "a", Message = "downloading" }));
        Assert.Single(events.OnSnapshot(done));
        Assert.Empty(events.OnSnapshot(done));
        Assert.Empty(events.OnLog(new RolloutLogLine { Node = "a", Message = "late" }));
        Assert.Empty(events.OnLog(new RolloutLogLine { Node = "", Message = "rollout line" }));
        Assert.Empty(events.OnLog(new RolloutLogLine { Node = "stranger", Message = "not in this run" }));
    }
}

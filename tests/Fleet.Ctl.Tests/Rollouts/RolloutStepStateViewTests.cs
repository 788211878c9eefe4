using System.Text.Json;
using Fleet.Ctl.Rollouts;
using Fleet.V1;

namespace Fleet.Ctl.Tests.Rollouts;

/// <summary>Every step state reaches fleetctl's JSON and tables by its lower-case name; a step cut short by an abort is `cancelled`.</summary>
public sealed class RolloutStepStateViewTests
{
    private static Rollout Aborted()
    {
        var node = new RolloutNode { Name = "x1", Arch = Arch.Amd64, Batch = 1, State = RolloutNodeState.Failed, Error = "step 2 (download slow v1.0.0): cancelled: the rollout stopped" };
        node.Steps.Add(new RolloutStep { Index = 0, Kind = "cordon", Description = "cordon x1", State = RolloutStepState.Succeeded });
        node.Steps.Add(new RolloutStep { Index = 1, Kind = "download", Description = "download slow v1.0.0", State = RolloutStepState.Cancelled, Reason = "the rollout stopped" });
        node.Steps.Add(new RolloutStep { Index = 2, Kind = "uncordon", Description = "uncordon x1", State = RolloutStepState.Pending });
        var rollout = new Rollout { Id = "r1", State = RolloutState.Aborted, Recipe = "steps (cordon, download, uncordon)", BatchCount = 1, CurrentBatch = 1 };
        rollout.Nodes.Add(node);
        return rollout;
    }

    [Fact]
    public void ACancelledStep_IsCancelledInJson_AndIsTheNodesCurrentStep()
    {
        var view = RolloutView.From(Aborted());

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(view, RolloutJson.Default.RolloutView));
        var steps = json.RootElement.GetProperty("nodes")[0].GetProperty("steps");
        Assert.Equal(["succeeded", "cancelled", "pending"], steps.EnumerateArray().Select(s => s.GetProperty("state").GetString()));
        Assert.Equal("2/3 download slow v1.0.0", RolloutViews.CurrentStep(view.Nodes[0]));
    }

    [Fact]
    public void EveryStepState_HasALowerCaseName_NeverUnknown()
    {
        foreach (var state in Enum.GetValues<RolloutStepState>().Where(s => s != RolloutStepState.Unspecified))
        {
            var name = state.ToName();
            Assert.NotEqual("unknown", name);
            Assert.Equal(name.ToLowerInvariant(), name);
            Assert.Equal(state, RolloutNames.ParseStepState(name));
        }
    }
}

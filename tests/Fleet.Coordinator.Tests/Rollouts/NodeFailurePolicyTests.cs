using System.Text.Json;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>strategy.onNodeFailure and the restore-previous step in plans: the happy paths, and every hostile value refused by path.</summary>
public class NodeFailurePolicyTests
{
    private static (RolloutPlan? Plan, IReadOnlyList<string> Problems) Parse(string yaml) => PlanParser.Parse(yaml);

    [Theory]
    [InlineData("", OnNodeFailure.Fail)]
    [InlineData("onNodeFailure: fail", OnNodeFailure.Fail)]
    [InlineData("onNodeFailure: rollback", OnNodeFailure.Rollback)]
    public void OnNodeFailure_Parses_DefaultFail(string setting, OnNodeFailure expected)
    {
        var (plan, problems) = Parse($"target: {{}}\nstrategy: {{ {setting} }}\nrecipe:\n  install-cni: {{ version: v1.1.1 }}\n");

        Assert.Empty(problems);
        Assert.Equal(expected, plan!.Strategy.OnNodeFailure);
        Assert.Equal(expected == OnNodeFailure.Rollback ? "rollback" : "fail", StrategySummary.From(plan).OnNodeFailure);
        Assert.Equal(expected == OnNodeFailure.Rollback, plan.NeedsKubernetes); // a tail waits Ready and uncordons
    }

    [Theory]
    [InlineData("onNodeFailure: Rollback", "strategy.onNodeFailure: \"Rollback\" is not fail or rollback")]
    [InlineData("onNodeFailure: abort", "strategy.onNodeFailure: \"abort\" is not fail or rollback")]
    [InlineData("onNodeFailure: ''", "strategy.onNodeFailure: \"\" is not fail or rollback")]
    [InlineData("onNodeFailure: 'rollback; rm -rf /'", "strategy.onNodeFailure: \"rollback; rm -rf /\" is not fail or rollback")]
    [InlineData("onNodeFailure: [rollback]", "strategy.onNodeFailure")]
    [InlineData("onNodeFailure: { rollback: true }", "strategy.onNodeFailure")]
    public void OnNodeFailure_Hostile_IsRefusedByPath(string setting, string problem)
    {
        var (plan, problems) = Parse($"target: {{}}\nstrategy: {{ {setting} }}\nrecipe:\n  upgrade-kubernetes: {{ version: v1.12.5 }}\n");

        Assert.Null(plan);
        Assert.Contains(problems, p => p.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Rollback_WithStepsThatReplaceNothing_IsRefused_WithEveryOtherProblem()
    {
        var (plan, problems) = Parse("target: {}\nstrategy: { onNodeFailure: rollback, canary: -1 }\nsteps:\n  - systemd: { action: restart, unit: kubelet.service }\n  - wait-ready: {}\n");

        Assert.Null(plan);
        Assert.Equal(
            ["strategy.canary: must be 0 or more", "strategy.onNodeFailure: rollback needs a step that replaces files (download or install-cni); these steps replace nothing, so there is nothing to roll back"],
            problems.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("install-cni: { version: v1.1.1 }")]
    [InlineData("download: { component: kubelet, version: v1.12.5, dest: /usr/bin/kubelet }")]
    public void Rollback_WithAReplaceStep_IsAccepted(string step)
    {
        var (plan, problems) = Parse($"target: {{}}\nstrategy: {{ onNodeFailure: rollback }}\nsteps:\n  - {step}\n");

        Assert.Empty(problems);
        Assert.Equal(OnNodeFailure.Rollback, plan!.Strategy.OnNodeFailure);
    }

    [Theory]
    [InlineData("restore-previous: {}", "", "restore the files this rollout replaced")]
    [InlineData("restore-previous: { rollout: r3 }", "r3", "restore the files rollout r3 replaced")]
    [InlineData("restore-previous: { rollout: r1234567890 }", "r1234567890", "restore the files rollout r1234567890 replaced")]
    public void RestorePrevious_MapsToItsRequest_AndRoundTrips(string yaml, string rollout, string description)
    {
        var (plan, problems) = Parse($"target: {{}}\nsteps:\n  - {yaml}\n");

        Assert.Empty(problems);
        var step = Assert.IsType<NodeStep.RestorePrevious>(Assert.IsType<StepsRecipe>(plan!.Recipe).Steps.Single());
        var request = step.ToRequest("r9-x-pi-0", "r9");
        Assert.Equal((rollout, "r9"), (request.RestorePrevious.RolloutId, request.RolloutId));
        Assert.Equal(description, step.Describe("pi", Arch.Arm64));
        Assert.True(step.RunsOnAgent);
        Assert.False(step.NeedsKubernetes);
        Assert.Equal(StepKinds.RestorePrevious, step.ToView(0).Kind);
        var stored = step with { OnFailure = true };
        var back = JsonSerializer.Deserialize<NodeStep>(JsonSerializer.Serialize<NodeStep>(stored))!;
        Assert.Equal(stored, back);
        Assert.True(back.OnFailure);
        Assert.True(back.ToView(3).OnFailure);
    }

    [Theory]
    [InlineData("rollout: R3")]
    [InlineData("rollout: r0")]
    [InlineData("rollout: r03")]
    [InlineData("rollout: 3")]
    [InlineData("rollout: r-1")]
    [InlineData("rollout: ../r3")]
    [InlineData("rollout: 'r3 '")]
    [InlineData("rollout: \"r3\\n\"")]
    [InlineData("rollout: r12345678901")]
    [InlineData("rollout: 'r3/../../etc'")]
    public void RestorePrevious_HostileRolloutId_IsRefusedByPath(string member)
    {
        var (plan, problems) = Parse($"target: {{}}\nsteps:\n  - download: {{ component: kubelet, version: v1.12.5, dest: /usr/bin/kubelet }}\n  - restore-previous: {{ {member} }}\n");

        Assert.Null(plan);
        Assert.Contains(problems, p => p.StartsWith("steps[1].restore-previous.rollout: \"", StringComparison.Ordinal) && p.EndsWith("is not a rollout id like r3 (leave it out for this rollout)", StringComparison.Ordinal));
    }

    [Fact]
    public void RestorePrevious_WithAnotherStepInTheSameItem_IsRefused()
    {
        var (plan, problems) = Parse("target: {}\nsteps:\n  - { restore-previous: {}, uncordon: {} }\n");

        Assert.Null(plan);
        Assert.Contains("steps[0]: names 2 steps (uncordon, restore-previous); give one per list item", problems);
    }

    [Fact]
    public void RestorePrevious_UnknownMember_IsRefused()
    {
        var (plan, problems) = Parse("target: {}\nsteps:\n  - restore-previous: { rollot: r3 }\n");

        Assert.Null(plan);
        Assert.Contains(problems, p => p.StartsWith("steps[0].restore-previous.rollot", StringComparison.Ordinal));
    }
}

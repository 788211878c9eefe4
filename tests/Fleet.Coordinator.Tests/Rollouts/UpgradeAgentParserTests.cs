using Fleet.Coordinator.Rollouts;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>`recipe: { upgrade-agent: { version, deadline } }`: X.Y.Z versions, a deadline of 1s to 1h (default 2m), one
/// recipe per plan, and no onNodeFailure: rollback (the agent rolls itself back).</summary>
public sealed class UpgradeAgentParserTests
{
    private static (RolloutPlan? Plan, IReadOnlyList<string> Problems) Parse(string recipe, string extra = "") =>
        PlanParser.Parse($"target: {{}}\n{extra}recipe:\n  upgrade-agent: {recipe}\n");

    [Fact]
    public void Version_AndDefaultDeadline()
    {
        var (plan, problems) = Parse("{ version: \"0.9.1\" }");

        Assert.Empty(problems);
        var recipe = Assert.IsType<UpgradeAgentRecipe>(plan!.Recipe);
        Assert.Equal(("0.9.1", TimeSpan.FromMinutes(2)), (recipe.Version, recipe.Deadline));
        Assert.Equal("upgrade-agent 0.9.1", recipe.Describe());
        Assert.False(plan.NeedsKubernetes);
    }

    [Theory]
    [InlineData("1s", 1)]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    public void Deadline_InFleetsDurationSyntax_From1sTo1h(string deadline, int seconds)
    {
        var (plan, problems) = Parse($"{{ version: 0.9.1, deadline: {deadline} }}");

        Assert.Empty(problems);
        Assert.Equal(TimeSpan.FromSeconds(seconds), ((UpgradeAgentRecipe)plan!.Recipe).Deadline);
    }

    [Theory]
    [InlineData("{ deadline: 2m }", "recipe.upgrade-agent.version: missing (the fleet-agent version to install, such as 0.9.1)")]
    [InlineData("{ version: \"\" }", "recipe.upgrade-agent.version: missing (the fleet-agent version to install, such as 0.9.1)")]
    [InlineData("{ version: v0.9.1 }", "recipe.upgrade-agent.version: \"v0.9.1\" is not a fleet-agent version such as 0.9.1 (X.Y.Z, no v)")]
    [InlineData("{ version: 0.9 }", "recipe.upgrade-agent.version: \"0.9\" is not a fleet-agent version such as 0.9.1 (X.Y.Z, no v)")]
    [InlineData("{ version: \"0.9.1; rm -rf /\" }", "recipe.upgrade-agent.version: \"0.9.1; rm -rf /\" is not a fleet-agent version such as 0.9.1 (X.Y.Z, no v)")]
    [InlineData("{ version: latest }", "recipe.upgrade-agent.version: \"latest\" is not a fleet-agent version such as 0.9.1 (X.Y.Z, no v)")]
    [InlineData("{ version: 0.9.1, deadline: 0s }", "recipe.upgrade-agent.deadline: \"0s\" must be at least 1ms")]
    [InlineData("{ version: 0.9.1, deadline: -1s }", "recipe.upgrade-agent.deadline: \"-1s\" is not a duration such as 90s, 10m, 1h30m or 1d")]
    [InlineData("{ version: 0.9.1, deadline: 500ms }", "recipe.upgrade-agent.deadline: \"500ms\" is outside 1s to 1h (the time the new agent has to start, connect and report its version)")]
    [InlineData("{ version: 0.9.1, deadline: 2h }", "recipe.upgrade-agent.deadline: \"2h\" is outside 1s to 1h (the time the new agent has to start, connect and report its version)")]
    [InlineData("{ version: 0.9.1, deadline: abc }", "recipe.upgrade-agent.deadline: \"abc\" is not a duration such as 90s, 10m, 1h30m or 1d")]
    [InlineData("{ version: 0.9.1, deadline: 5 }", "recipe.upgrade-agent.deadline: \"5\" has no unit: write 5s, 5m, 5h or 5d")]
    public void BadVersionOrDeadline_IsAProblemByPath_AndNoPlan(string recipe, string problem)
    {
        var (plan, problems) = Parse(recipe);

        Assert.Null(plan);
        Assert.Equal([problem], problems);
    }

    [Fact]
    public void BadVersionAndBadDeadline_BothListed()
    {
        var (_, problems) = Parse("{ version: v1, deadline: 2h }");

        Assert.Equal(2, problems.Count);
        Assert.StartsWith("recipe.upgrade-agent.version:", problems[0], StringComparison.Ordinal);
        Assert.StartsWith("recipe.upgrade-agent.deadline:", problems[1], StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownMember_IsAProblem()
    {
        var (plan, problems) = Parse("{ version: 0.9.1, timeout: 5m }");

        Assert.Null(plan);
        Assert.Single(problems);
        Assert.Contains("timeout", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void WithSteps_IsRefused()
    {
        var (plan, problems) = PlanParser.Parse("target: {}\nrecipe:\n  upgrade-agent: { version: 0.9.1 }\nsteps:\n  - uncordon: {}\n");

        Assert.Null(plan);
        Assert.Equal(["recipe or steps: give exactly one, not upgrade-agent and steps"], problems);
    }

    [Fact]
    public void WithAnotherRecipe_IsRefused()
    {
        var (plan, problems) = PlanParser.Parse("target: {}\nrecipe:\n  upgrade-agent: { version: 0.9.1 }\n  install-cni: { version: v1.1.1 }\n");

        Assert.Null(plan);
        Assert.Equal(["recipe or steps: give exactly one, not install-cni and upgrade-agent"], problems);
    }

    [Fact]
    public void NoRecipe_NamesUpgradeAgentAmongTheRecipes()
    {
        var (_, problems) = PlanParser.Parse("target: {}\n");

        Assert.Equal(["recipe or steps: give one (recipe: install-cni, join, upgrade-kubernetes or upgrade-agent; or a list of steps)"], problems);
    }

    [Fact]
    public void OnNodeFailureRollback_IsRefused_TheAgentRollsItselfBack()
    {
        var (plan, problems) = Parse("{ version: 0.9.1 }", "strategy: { onNodeFailure: rollback }\n");

        Assert.Null(plan);
        Assert.Equal(["strategy.onNodeFailure: rollback does not apply to upgrade-agent: the agent rolls itself back (the node's watchdog puts the previous package back when the new agent does not report within the deadline); leave it out"], problems);
    }

    [Fact]
    public void TheDocumentedPlan_Parses()
    {
        var doc = File.ReadAllText(Path.Join(Fleet.Testing.Repo.Root, "docs", "agent-upgrades.md"));
        var yaml = System.Text.RegularExpressions.Regex.Matches(doc, "```yaml\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value)
            .Single(y => y.Contains("upgrade-agent:", StringComparison.Ordinal));

        var (plan, problems) = PlanParser.Parse(yaml);

        Assert.Empty(problems);
        Assert.Equal(new UpgradeAgentRecipe("0.9.1", TimeSpan.FromMinutes(2)), plan!.Recipe);
        Assert.Equal((1, 2), (plan.Strategy.Canary, plan.Strategy.BatchSize.Value));
    }

    [Fact]
    public void OnNodeFailureFail_AndTheUsualStrategy_Apply()
    {
        var (plan, problems) = Parse("{ version: 0.9.1 }", "strategy: { onNodeFailure: fail, batchSize: 2, canary: 1, failureThreshold: 2, onFailure: abort }\n");

        Assert.Empty(problems);
        Assert.Equal((2, 1, OnFailure.Abort), (plan!.Strategy.BatchSize.Value, plan.Strategy.Canary, plan.Strategy.OnFailure));
    }
}

using Fleet.Coordinator.Rollouts;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>A plan's target.labels are checked by the shared label rules, every problem at once, before anything runs.</summary>
public sealed class PlanTargetLabelsTests
{
    private static List<string> Problems(string labels) =>
        PlanParser.Parse($"target:\n  labels: {labels}\nrecipe:\n  install-cni: {{ version: v1.1.1 }}\n").Problems.ToList();

    [Fact]
    public void Parse_ValidLabels_NoProblem()
    {
        var (plan, problems) = PlanParser.Parse("target:\n  labels: { role: worker, fleet.io/zone: kitchen, empty: \"\" }\nrecipe:\n  install-cni: { version: v1.1.1 }\n");

        Assert.Empty(problems);
        Assert.Equal("kitchen", plan!.Target.Labels["fleet.io/zone"]);
    }

    [Theory]
    [InlineData("{ \"Bad Key\": v }", "target.labels: the label key \"Bad Key\" is not valid")]
    [InlineData("{ role: \"bad value\" }", "target.labels: the value \"bad value\" of label \"role\" is not valid")]
    [InlineData("{ \"-role\": worker }", "target.labels: the label key \"-role\" is not valid")]
    [InlineData("{ \"Fleet.IO/zone\": a }", "target.labels: the label key \"Fleet.IO/zone\" is not valid")]
    [InlineData("{ role: \"worker/1\" }", "target.labels: the value \"worker/1\" of label \"role\" is not valid")]
    public void Parse_BadLabel_IsAProblemByPath(string labels, string expected)
    {
        Assert.Contains(Problems(labels), p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_OversizedKeyAndValue_BothNamed()
    {
        var problems = Problems($"{{ {new string('k', 64)}: a, role: {new string('v', 64)} }}");

        Assert.Equal(2, problems.Count(p => p.StartsWith("target.labels: ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Parse_TooManyLabels_Refused()
    {
        var many = string.Join(", ", Enumerable.Range(0, NodeLabels.MaxCount + 1).Select(i => $"k{i}: v"));

        Assert.Contains($"target.labels: {NodeLabels.MaxCount + 1} labels, at most {NodeLabels.MaxCount}", Problems($"{{ {many} }}"));
    }
}

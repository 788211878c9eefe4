using Fleet.Coordinator.Agents;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Agents;

public class HelloValidatorTests
{
    private static Hello Valid() => new() { Facts = new NodeFacts { NodeName = "odroid-1", Arch = Arch.Arm, RawMachine = "armv7l", AgentVersion = "0.1.0" } };

    [Fact]
    public void Problems_ValidHello_None() => Assert.Empty(HelloValidator.Problems(Valid()));

    [Fact]
    public void Problems_NoFacts_Named() => Assert.Equal(["facts: missing"], HelloValidator.Problems(new Hello()));

    [Fact]
    public void Problems_EveryProblemIsListed()
    {
        var hello = Valid();
        hello.Facts.NodeName = "";
        hello.Facts.Arch = Arch.Unspecified;
        hello.Facts.AgentVersion = "";

        Assert.Equal(["facts.node_name: missing", "facts.arch: missing", "facts.agent_version: missing"], HelloValidator.Problems(hello));
    }

    [Fact]
    public void Problems_UnknownArchValue_IsAnErrorNotADefault()
    {
        var hello = Valid();
        hello.Facts.Arch = (Arch)42;

        Assert.Equal(["facts.arch: unknown value 42"], HelloValidator.Problems(hello));
    }

    [Theory]
    [InlineData("Pi_1")]
    [InlineData("-pi")]
    [InlineData("pi-")]
    [InlineData("pi 1")]
    public void Problems_NodeNameThatKubernetesWouldRefuse(string name)
    {
        var hello = Valid();
        hello.Facts.NodeName = name;

        Assert.Contains("not a valid node name", Assert.Single(HelloValidator.Problems(hello)));
    }

    public static TheoryData<string, string> OversizedHellos => new()
    {
        { "labels", "facts.labels: 65 labels, at most 64" },
        { "cni", "facts.cni_plugins: 257 entries, at most 256" },
        { "field", "facts.os_release: 1025 characters, at most 1024" },
        { "agent-install", "facts.agent_install: 1025 characters, at most 1024" },
        { "label-value", "facts.labels (value): 2000 characters, at most 1024" },
        { "step-ids", "finished_step_ids: 1025 entries, at most 1024" },
        { "step-id", "finished_step_ids: an id of 5000 characters, at most 1024" },
    };

    /// <summary>Issue 12, finding 3: every list and string of a Hello is bounded, and an oversized one is named.</summary>
    [Theory]
    [MemberData(nameof(OversizedHellos))]
    public void Problems_OversizedField_IsRefusedByName(string what, string problem)
    {
        var hello = Valid();
        switch (what)
        {
            case "labels":
                foreach (var i in Enumerable.Range(0, 65))
                {
                    hello.Facts.Labels[$"k{i}"] = "v";
                }

                break;
            case "cni":
                hello.Facts.CniPlugins.AddRange(Enumerable.Range(0, 257).Select(i => $"p{i}"));
                break;
            case "field":
                hello.Facts.OsRelease = new string('o', 1025);
                break;
            case "agent-install":
                hello.Facts.AgentInstall = new string('b', 1025);
                break;
            case "label-value":
                hello.Facts.Labels["role"] = new string('w', 2000);
                break;
            case "step-ids":
                hello.FinishedStepIds.AddRange(Enumerable.Range(0, 1025).Select(i => $"s{i}"));
                break;
            case "step-id":
                hello.FinishedStepIds.Add(new string('s', 5000));
                break;
        }

        Assert.Equal([problem], HelloValidator.Problems(hello));
    }
}

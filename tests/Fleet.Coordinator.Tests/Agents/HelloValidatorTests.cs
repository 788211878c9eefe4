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
}

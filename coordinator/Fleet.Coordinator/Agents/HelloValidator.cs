using Fleet.Coordinator.Nodes;
using Fleet.V1;

namespace Fleet.Coordinator.Agents;

/// <summary>Checks a Hello before anything is stored; every problem is named, missing fields are errors.</summary>
public static class HelloValidator
{
    public static IReadOnlyList<string> Problems(Hello hello)
    {
        var problems = new List<string>();
        if (hello.Facts is not { } facts)
        {
            problems.Add("facts: missing");
            return problems;
        }

        if (NodeNames.Problem(facts.NodeName) is { } nameProblem)
        {
            problems.Add($"facts.node_name: {nameProblem}");
        }

        if (!facts.Arch.IsKnown())
        {
            problems.Add(facts.Arch == Arch.Unspecified
                ? "facts.arch: missing"
                : $"facts.arch: unknown value {(int)facts.Arch}");
        }

        if (string.IsNullOrWhiteSpace(facts.AgentVersion))
        {
            problems.Add("facts.agent_version: missing");
        }

        return problems;
    }
}

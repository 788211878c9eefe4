using Fleet.Coordinator.Nodes;
using Fleet.V1;
using Google.Protobuf;

namespace Fleet.Coordinator.Agents;

/// <summary>
/// Checks a Hello (or facts re-sent in a heartbeat) before anything is stored; every problem is
/// named, missing fields are errors, and sizes are bounded (<see cref="AgentLimits"/>).
/// </summary>
public static class HelloValidator
{
    private static readonly AgentLimits Defaults = new();

    public static IReadOnlyList<string> Problems(Hello hello) => Problems(hello, Defaults);

    public static IReadOnlyList<string> Problems(Hello hello, AgentLimits limits)
    {
        var problems = new List<string>();
        if (hello.Facts is not { } facts)
        {
            problems.Add("facts: missing");
            return problems;
        }

        SizeProblems(facts, limits, problems);
        if (hello.FinishedStepIds.Count > limits.MaxFinishedStepIds)
        {
            problems.Add($"finished_step_ids: {hello.FinishedStepIds.Count} entries, at most {limits.MaxFinishedStepIds}");
        }

        if (hello.FinishedStepIds.FirstOrDefault(id => id.Length > limits.MaxFieldLength) is { } longId)
        {
            problems.Add($"finished_step_ids: an id of {longId.Length} characters, at most {limits.MaxFieldLength}");
        }

        if (problems.Count > 0)
        {
            return problems; // nothing else is worth reading in an oversized message
        }

        if (NodeNames.Problem(facts.NodeName) is { } nameProblem)
        {
            problems.Add($"facts.node_name: {nameProblem}");
        }

        // Refused, not dropped: the agent validates its own labels at start, so a bad label here is a
        // hostile or broken agent, and storing a part of what it said would be a guess.
        problems.AddRange(NodeLabels.Problems(facts.Labels, "facts.labels"));

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

    private static void SizeProblems(NodeFacts facts, AgentLimits limits, List<string> problems)
    {
        if (facts.CalculateSize() is var size && size > limits.MaxFactsBytes)
        {
            problems.Add($"facts: {size} bytes, at most {limits.MaxFactsBytes}");
        }

        if (facts.Labels.Count > limits.MaxLabels)
        {
            problems.Add($"facts.labels: {facts.Labels.Count} labels, at most {limits.MaxLabels}");
        }

        if (facts.CniPlugins.Count > limits.MaxCniPlugins)
        {
            problems.Add($"facts.cni_plugins: {facts.CniPlugins.Count} entries, at most {limits.MaxCniPlugins}");
        }

        var strings = new (string Field, string Value)[]
        {
            ("node_name", facts.NodeName), ("raw_machine", facts.RawMachine), ("os_release", facts.OsRelease),
            ("kernel", facts.Kernel), ("board_model", facts.BoardModel), ("agent_version", facts.AgentVersion),
            ("kubelet_version", facts.KubeletVersion), ("kubeadm_version", facts.KubeadmVersion),
            ("container_runtime", facts.ContainerRuntime), ("hostname", facts.Hostname),
            ("agent_install", facts.AgentInstall),
        }
            .Concat(facts.CniPlugins.Select(p => ("cni_plugins", p)))
            .Concat(facts.Labels.SelectMany(l => new[] { ("labels (key)", l.Key), ("labels (value)", l.Value) }));
        foreach (var (field, value) in strings)
        {
            if (value.Length > limits.MaxFieldLength)
            {
                problems.Add($"facts.{field}: {value.Length} characters, at most {limits.MaxFieldLength}");
                return;
            }
        }
    }
}

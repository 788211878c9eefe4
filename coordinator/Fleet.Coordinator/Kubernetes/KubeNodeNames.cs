using Fleet.V1;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>Maps a Fleet node to its Kubernetes node: the agent's lower-cased hostname (as kubelet names its node), unless the node carries the
/// <see cref="Label"/> label (set in the agent's labels), which names the Kubernetes node explicitly.</summary>
public static class KubeNodeNames
{
    public const string Label = "fleet.io/kubernetes-node";

    public static string For(string fleetName, NodeFacts? facts)
    {
        if (facts is not null && facts.Labels.TryGetValue(Label, out var explicitName) && !string.IsNullOrWhiteSpace(explicitName))
        {
            return explicitName;
        }

        return facts is not null && !string.IsNullOrEmpty(facts.Hostname) ? facts.Hostname : fleetName;
    }
}

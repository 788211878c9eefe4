using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

public abstract partial record NodeStep
{
    public sealed record Cordon : KubernetesStep
    {
        [JsonIgnore]
        public override string Kind => StepKinds.Cordon;

        public override string Describe(string kubeNode, Arch arch) => $"cordon {kubeNode}";
    }

    /// <summary>Eviction API, honouring PodDisruptionBudgets; <see cref="NodeStep.Timeout"/> bounds it.</summary>
    public sealed record Drain : KubernetesStep
    {
        [JsonIgnore]
        public override string Kind => StepKinds.Drain;

        public TimeSpan? GracePeriod { get; init; }

        public bool DeleteWhenEvictionBlocked { get; init; }

        public override string Describe(string kubeNode, Arch arch) => $"drain {kubeNode}";
    }

    /// <summary>Only nodes Fleet cordoned (its annotation): an operator's cordon stays.</summary>
    public sealed record Uncordon : KubernetesStep
    {
        [JsonIgnore]
        public override string Kind => StepKinds.Uncordon;

        public override string Describe(string kubeNode, Arch arch) => $"uncordon {kubeNode}";
    }

    /// <summary>Ready, and at <see cref="Version"/> when given.</summary>
    public sealed record WaitReady : KubernetesStep
    {
        [JsonIgnore]
        public override string Kind => StepKinds.WaitReady;

        public string? Version { get; init; }

        public override string Describe(string kubeNode, Arch arch) => $"wait until {kubeNode} is Ready" + (Version is { Length: > 0 } v ? $" at {v}" : "");
    }
}

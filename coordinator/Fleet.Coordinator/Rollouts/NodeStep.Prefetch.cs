using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

public abstract partial record NodeStep
{
    /// <summary>
    /// Every artifact of the node's later Download and InstallCni steps, downloaded and verified into the
    /// agent's staging cache before anything disrupts the node (<see cref="PrefetchPlanner"/> puts it first).
    /// Built from steps already resolved for the node's arch, so it needs no catalog lookup of its own.
    /// </summary>
    public sealed record Prefetch : AgentStep
    {
        [JsonIgnore]
        public override string Kind => StepKinds.Prefetch;

        public IReadOnlyList<PrefetchItem> Artifacts { get; init; } = [];

        /// <summary>The node's arch the artifacts were resolved for; the agent refuses them on another.</summary>
        public Arch Arch { get; init; }

        public override string Describe(string kubeNode, Arch arch) =>
            $"prefetch {string.Join(", ", Artifacts.Select(a => $"{a.Component} {a.Version}"))} ({arch.ToName()})";

        protected override void Fill(StepRequest request)
        {
            var step = new PrefetchStep();
            step.Artifacts.Add(Artifacts.Select(a => new PrefetchArtifact
            {
                Url = a.Url,
                Sha256 = a.Sha256,
                Arch = Arch,
                Kind = a.Binary ? PrefetchKind.Binary : PrefetchKind.CniArchive,
                Dest = a.Dest,
            }));
            request.Prefetch = step;
        }
    }

    /// <summary>One artifact of a <see cref="Prefetch"/>: a later step's resolved URL and sha256.</summary>
    public sealed record PrefetchItem(string Component, string Version, string Url, string Sha256, bool Binary, string Dest);
}

using System.Text.Json.Serialization;
using Fleet.Coordinator.Catalog;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

public abstract partial record NodeStep
{
    /// <summary>
    /// fleet-agent upgrades itself (the upgrade-agent recipe, docs/agent-upgrades.md): the new package and the one of the
    /// version the node runs now (its way back), both resolved from the catalog for the node's own arch before the step is
    /// stored. The node's watchdog installs the new package and puts <see cref="Previous"/> back when the new agent does
    /// not report within <see cref="Deadline"/>; the agent that runs afterwards answers the step (StepResult.rolled_back).
    /// Not an <see cref="Artifact"/>: a Debian package is never prefetched, downloaded to a path or restored by a rollback tail.
    /// </summary>
    public sealed record UpgradeAgent : AgentStep
    {
        /// <summary>The size cap of the package download: the one Fleet uses for every download (the agent's
        /// downloadMaxBytes default, AgentOptions.DownloadMaxBytes).</summary>
        public const long MaxBytes = 1L << 30;

        [JsonIgnore]
        public override string Kind => StepKinds.UpgradeAgent;

        /// <summary>The node's arch the packages were resolved for; an agent of another arch refuses them.</summary>
        public Arch Arch { get; init; }

        public AgentPackageSpec Package { get; init; } = new("", "", "");

        public AgentPackageSpec Previous { get; init; } = new("", "", "");

        public TimeSpan Deadline { get; init; } = UpgradeAgentParser.DefaultDeadline;

        [JsonIgnore]
        public override string ArtifactUrl => Package.Url;

        [JsonIgnore]
        public override string ArtifactSha256 => Package.Sha256;

        /// <summary>"upgrade fleet-agent 0.9.0 → 0.9.1 (arm64); must report within 2m".</summary>
        public override string Describe(string kubeNode, Arch arch) =>
            $"upgrade {ComponentKinds.AgentComponent} {Previous.Version} → {Package.Version} ({arch.ToName()}); must report within {DurationText.Format(Deadline)}";

        protected override void Fill(StepRequest request) => request.UpgradeAgent = new UpgradeAgentStep
        {
            Package = Package.ToProto(Arch),
            Previous = Previous.ToProto(Arch),
            Deadline = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(Deadline),
        };
    }

    /// <summary>One fleet-agent package of the catalog, resolved for a node's arch.</summary>
    public sealed record AgentPackageSpec(string Version, string Url, string Sha256)
    {
        public static AgentPackageSpec From(ResolvedArtifact artifact) => new(artifact.Version, artifact.Url, artifact.Sha256);

        public AgentPackage ToProto(Arch arch) => new() { Version = Version, Url = Url, Sha256 = Sha256, Arch = arch, MaxBytes = UpgradeAgent.MaxBytes };
    }
}

using System.Text.Json.Serialization;
using Fleet.Coordinator.Catalog;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

public abstract partial record NodeStep
{
    /// <summary>
    /// fleet-agent upgrades itself (the upgrade-agent recipe, docs/agent-upgrades.md): the new package and, on a node installed
    /// from the .deb, the one of the version the node runs now (its way back), both resolved from the catalog for the node's
    /// own arch before the step is stored. The node's watchdog installs the new package and puts <see cref="Previous"/> back
    /// (or, on a node installed side by side, <see cref="Install"/> binary, switches back to the running version's folder)
    /// when the new agent does not report within <see cref="Deadline"/>; the agent that runs afterwards answers the step
    /// (StepResult.rolled_back).
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

        /// <summary>How the node's agent is installed, so what <see cref="Package"/> is: the fleet-agent .deb (DEB) or the
        /// fleet-agent-binary executable (BINARY). A step stored before binary nodes existed reads as DEB.</summary>
        public AgentPackageKind Install { get; init; } = AgentPackageKind.Deb;

        public AgentPackageSpec Package { get; init; } = new("", "", "");

        /// <summary>The package the watchdog reinstalls (DEB); null for BINARY: the way back is the running version's folder on the node.</summary>
        public AgentPackageSpec? Previous { get; init; }

        /// <summary>The version the node runs at planning (its agent_version without the build suffix): the "from" of the description.</summary>
        public string FromVersion { get; init; } = "";

        public TimeSpan Deadline { get; init; } = UpgradeAgentParser.DefaultDeadline;

        [JsonIgnore]
        public override string ArtifactUrl => Package.Url;

        [JsonIgnore]
        public override string ArtifactSha256 => Package.Sha256;

        /// <summary>"upgrade fleet-agent 0.9.0 → 0.9.1 (arm64); must report within 2m", "… (arm64, binary); …" for a node installed side by side.</summary>
        public override string Describe(string kubeNode, Arch arch) =>
            $"upgrade {ComponentKinds.AgentComponent} {Previous?.Version ?? FromVersion} → {Package.Version} ({arch.ToName()}{(Install == AgentPackageKind.Binary ? ", binary" : "")}); must report within {DurationText.Format(Deadline)}";

        protected override void Fill(StepRequest request) => request.UpgradeAgent = new UpgradeAgentStep
        {
            Package = Package.ToProto(Arch, Install),
            Previous = Previous?.ToProto(Arch, Install),
            Deadline = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(Deadline),
        };
    }

    /// <summary>One fleet-agent package of the catalog, resolved for a node's arch.</summary>
    public sealed record AgentPackageSpec(string Version, string Url, string Sha256)
    {
        public static AgentPackageSpec From(ResolvedArtifact artifact) => new(artifact.Version, artifact.Url, artifact.Sha256);

        public AgentPackage ToProto(Arch arch, AgentPackageKind kind) => new() { Version = Version, Url = Url, Sha256 = Sha256, Arch = arch, MaxBytes = UpgradeAgent.MaxBytes, Kind = kind };
    }
}

using System.Text.Json.Serialization;
using Fleet.Coordinator.Catalog;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

public abstract partial record NodeStep
{
    /// <summary>A step that installs an artifact from the catalog, resolved per architecture before it is stored.</summary>
    public abstract record Artifact : AgentStep
    {
        public string Component { get; init; } = "";

        public string Version { get; init; } = "";

        /// <summary>The file (download) or folder (install-cni) on the node.</summary>
        public string Dest { get; init; } = "";

        /// <summary>Null until resolved for the node's arch.</summary>
        public string? Url { get; init; }

        public string? Sha256 { get; init; }

        [JsonIgnore]
        public override string ArtifactUrl => Url ?? "";

        [JsonIgnore]
        public override string ArtifactSha256 => Sha256 ?? "";

        /// <summary>The catalog component kind this step can install (<see cref="ComponentKinds"/>).</summary>
        [JsonIgnore]
        public abstract string WantedComponentKind { get; }

        public Artifact Resolved(ResolvedArtifact artifact) => this with { Url = artifact.Url, Sha256 = artifact.Sha256 };
    }

    /// <summary>A binary, verified and ELF-checked, renamed into place with <see cref="Mode"/>.</summary>
    public sealed record Download : Artifact
    {
        [JsonIgnore]
        public override string Kind => StepKinds.Download;

        [JsonIgnore]

        public override string WantedComponentKind => ComponentKinds.Binary;

        /// <summary>0 (not given) means <see cref="DownloadMode.Executable"/>: the one default, for plans, recipes and `fleetctl run`.</summary>
        public uint Mode
        {
            get;
            init => field = value == 0 ? DownloadMode.Executable : value;
        } = DownloadMode.Executable;

        public override string Describe(string kubeNode, Arch arch) => $"download {Component} {Version} ({arch.ToName()}) to {Dest}";

        protected override void Fill(StepRequest request) =>
            request.Download = new DownloadStep { Url = Url ?? "", Sha256 = Sha256 ?? "", Dest = Dest, Mode = Mode, Executable = true, Component = Component, Version = Version };
    }

    /// <summary>A CNI plugins tarball, safely extracted into <see cref="Artifact.Dest"/>.</summary>
    public sealed record InstallCni : Artifact
    {
        public const string DefaultComponent = ComponentKinds.CniPlugins;

        [JsonIgnore]

        public override string Kind => StepKinds.InstallCni;

        [JsonIgnore]

        public override string WantedComponentKind => ComponentKinds.CniPlugins;

        public override string Describe(string kubeNode, Arch arch) => $"install {Component} {Version} ({arch.ToName()}) into {Dest}";

        protected override void Fill(StepRequest request) =>
            request.InstallCniPlugins = new InstallCniPluginsStep { Url = Url ?? "", Sha256 = Sha256 ?? "", DestDir = Dest, Component = Component, Version = Version };
    }
}

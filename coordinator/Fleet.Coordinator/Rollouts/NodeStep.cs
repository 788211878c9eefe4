using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>The kind names of rollout steps: in plans (YAML keys), in views, and as the stored JSON's discriminator.</summary>
public static class StepKinds
{
    public const string Download = "download";
    public const string InstallCni = "install-cni";
    public const string KubeadmJoin = "kubeadm-join";
    public const string KubeadmUpgrade = "kubeadm-upgrade";
    public const string Systemd = "systemd";
    public const string WaitKubeletHealthy = "wait-kubelet-healthy";
    public const string Cordon = "cordon";
    public const string Drain = "drain";
    public const string Uncordon = "uncordon";
    public const string WaitReady = "wait-ready";
    public const string Prefetch = "prefetch";
    public const string EtcdSnapshot = "etcd-snapshot";
    public const string RestorePrevious = "restore-previous";
    public const string UpgradeAgent = "upgrade-agent";
}

/// <summary>
/// One step of one node's part in a rollout (or a `fleetctl run`): one sealed type per kind, each owning its
/// description, where it runs (agent or coordinator), whether it needs Kubernetes, its artifact need and its
/// <see cref="StepRequest"/>. Fully resolved (URL and sha256 for the node's own arch) and stored as JSON with
/// the rollout under a "Kind" discriminator, so a restarted coordinator runs exactly what was planned; the
/// member names are those of the earlier flat form, so rows written before still read. Never holds a
/// secret: a join's bootstrap token is made just before the step is sent and never stored.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "Kind")]
[JsonDerivedType(typeof(Download), StepKinds.Download)]
[JsonDerivedType(typeof(InstallCni), StepKinds.InstallCni)]
[JsonDerivedType(typeof(KubeadmJoin), StepKinds.KubeadmJoin)]
[JsonDerivedType(typeof(KubeadmUpgrade), StepKinds.KubeadmUpgrade)]
[JsonDerivedType(typeof(Systemd), StepKinds.Systemd)]
[JsonDerivedType(typeof(WaitKubeletHealthy), StepKinds.WaitKubeletHealthy)]
[JsonDerivedType(typeof(Cordon), StepKinds.Cordon)]
[JsonDerivedType(typeof(Drain), StepKinds.Drain)]
[JsonDerivedType(typeof(Uncordon), StepKinds.Uncordon)]
[JsonDerivedType(typeof(WaitReady), StepKinds.WaitReady)]
[JsonDerivedType(typeof(Prefetch), StepKinds.Prefetch)]
[JsonDerivedType(typeof(EtcdSnapshot), StepKinds.EtcdSnapshot)]
[JsonDerivedType(typeof(RestorePrevious), StepKinds.RestorePrevious)]
[JsonDerivedType(typeof(UpgradeAgent), StepKinds.UpgradeAgent)]
public abstract partial record NodeStep
{
    /// <summary>One of <see cref="StepKinds"/>; in JSON it is the discriminator.</summary>
    [JsonIgnore]
    public abstract string Kind { get; }

    /// <summary>Set when the step is resolved for a node (<see cref="Describe"/>).</summary>
    public string Description { get; init; } = "";

    public TimeSpan Timeout { get; init; }

    /// <summary>The phase (1-based) this step belongs to: a multi-hop upgrade's hop (<see cref="UpgradeHops"/>). Stored
    /// with the step's JSON; a step stored before phases reads 1.</summary>
    public int Phase { get; init; } = 1;

    /// <summary>Part of the node's automatic rollback (strategy.onNodeFailure: rollback, <see cref="RollbackTail"/>): a normal
    /// pass never runs it; it runs only when the node fails after a replace. Stored with the step's JSON.</summary>
    public bool OnFailure { get; init; }

    /// <summary>Sent to the agent (with a step id it journals); otherwise the coordinator runs it against the Kubernetes API.</summary>
    [JsonIgnore]
    public abstract bool RunsOnAgent { get; }

    /// <summary>Needs the Kubernetes API (cordon, drain, readiness, bootstrap tokens).</summary>
    [JsonIgnore]
    public virtual bool NeedsKubernetes => !RunsOnAgent;

    /// <summary>What an operator reads: "download kubelet v1.12.5 (arm64) to /usr/bin/kubelet", "drain pi1".</summary>
    public abstract string Describe(string kubeNode, Arch arch);

    /// <summary>The URL of what the step installs, as views show it; "" for a step that installs nothing.</summary>
    [JsonIgnore]
    public virtual string ArtifactUrl => "";

    /// <summary>The sha256 of what the step installs, as views show it; "" for a step that installs nothing.</summary>
    [JsonIgnore]
    public virtual string ArtifactSha256 => "";

    /// <summary>The step as a rollout view shows it, pending.</summary>
    public RolloutStep ToView(int index) => new()
    {
        Index = index,
        Kind = Kind,
        Description = Description,
        Url = ArtifactUrl,
        Sha256 = ArtifactSha256,
        State = RolloutStepState.Pending,
        Phase = Phase,
        OnFailure = OnFailure,
    };

    /// <summary>A step the agent runs exactly as planned: it maps to one <see cref="StepRequest"/>.</summary>
    public abstract record AgentStep : NodeStep
    {
        [JsonIgnore]
        public override bool RunsOnAgent => true;

        /// <param name="rolloutId">the rollout the step belongs to; "" for `fleetctl run`</param>
        public StepRequest ToRequest(string stepId, string rolloutId = "")
        {
            var request = new StepRequest { Id = stepId, RolloutId = rolloutId, Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(Timeout) };
            Fill(request);
            return request;
        }

        /// <summary>Sets the request's one step.</summary>
        protected abstract void Fill(StepRequest request);
    }

    /// <summary>A step the coordinator runs against the Kubernetes API, on the node's Kubernetes node.</summary>
    public abstract record KubernetesStep : NodeStep
    {
        [JsonIgnore]
        public override bool RunsOnAgent => false;
    }
}

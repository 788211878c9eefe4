namespace Fleet.Coordinator.Rollouts;

/// <summary>The kinds of rollout step: agent steps run on the node, Kubernetes steps run in the coordinator.</summary>
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

    public static bool IsKubernetes(string kind) => kind is Cordon or Drain or Uncordon or WaitReady or KubeadmJoin;

    /// <summary>Sent to the agent (with a step id it journals).</summary>
    public static bool RunsOnAgent(string kind) => kind is not (Cordon or Drain or Uncordon or WaitReady);

    /// <summary>Needs an artifact from the catalog, resolved per architecture.</summary>
    public static bool IsArtifact(string kind) => kind is Download or InstallCni;
}

/// <summary>
/// One step of one node's part in a rollout, fully resolved (URL and sha256 for the node's own arch) and
/// stored as JSON with the rollout, so a restarted coordinator runs exactly what was planned. Flat on
/// purpose: each kind uses a few of the optional members. Never holds a secret: a join's bootstrap token is
/// made just before the step is sent and never stored.
/// </summary>
public sealed record NodeStep
{
    public required string Kind { get; init; }

    public string Description { get; init; } = "";

    public TimeSpan Timeout { get; init; }

    // download, install-cni
    public string? Component { get; init; }

    public string? Version { get; init; }

    public string? Url { get; init; }

    public string? Sha256 { get; init; }

    public string? Dest { get; init; }

    public uint Mode { get; init; }

    // kubeadm-join
    public string? ControlPlaneEndpoint { get; init; }

    public bool ControlPlane { get; init; }

    // kubeadm-upgrade: apply | node
    public string? UpgradeMode { get; init; }

    // systemd: daemon-reload | restart | enable | enable-now
    public string? SystemdAction { get; init; }

    public string? Unit { get; init; }

    // drain
    public TimeSpan? GracePeriod { get; init; }

    public bool DeleteWhenEvictionBlocked { get; init; }
}

using YamlDotNet.Serialization;

namespace Fleet.Coordinator.Rollouts;

/// <summary>A rollout plan as written in YAML (docs/rollouts.md); <see cref="PlanParser"/> validates it into a <see cref="RolloutPlan"/>.</summary>
public sealed class PlanDocument
{
    public string? Name { get; set; }

    public TargetDocument? Target { get; set; }

    public StrategyDocument? Strategy { get; set; }

    public RecipeDocument? Recipe { get; set; }

    public List<StepDocument>? Steps { get; set; }

    public Notifications.NotificationsDocument? Notifications { get; set; }
}

public sealed class TargetDocument
{
    public List<string> Names { get; set; } = [];

    public string? Arch { get; set; }

    public Dictionary<string, string> Labels { get; set; } = [];

    /// <summary>Nodes never targeted, whatever else matches.</summary>
    public List<string> Exclude { get; set; } = [];

    /// <summary>Leave out the selected nodes that are not connected, and list them, instead of refusing the plan.</summary>
    public bool? SkipDisconnected { get; set; }
}

public sealed class StrategyDocument
{
    /// <summary>"3" or "25%".</summary>
    public string? BatchSize { get; set; }

    /// <summary>"2" or "10%": a sliding window instead of fixed batches.</summary>
    public string? MaxUnavailable { get; set; }

    public int? Canary { get; set; }

    public string? PauseBetweenBatches { get; set; }

    /// <summary>"1" or "10%" of the targeted nodes.</summary>
    public string? FailureThreshold { get; set; }

    public string? OnFailure { get; set; }

    /// <summary>fail (default) or rollback (NodeFailurePolicy).</summary>
    public string? OnNodeFailure { get; set; }

    public bool? KeepCordoned { get; set; }

    /// <summary>Stage every artifact on the node before it is disrupted (default true; PrefetchPlanner).</summary>
    public bool? Prefetch { get; set; }

    public Dictionary<string, string> Timeouts { get; set; } = [];

    /// <summary>Maintenance windows, e.g. "Sat 02:00-06:00 Europe/Berlin" (Rollouts/Windows/MaintenanceWindowParser).</summary>
    public List<string>? Windows { get; set; }

    /// <summary>Checked after every batch (Gates/GateParser).</summary>
    public List<Gates.GateDocument>? Gates { get; set; }
}

public sealed class RecipeDocument
{
    [YamlMember(Alias = "install-cni", ApplyNamingConventions = false)]
    public InstallCniDocument? InstallCni { get; set; }

    public JoinDocument? Join { get; set; }

    [YamlMember(Alias = "upgrade-kubernetes", ApplyNamingConventions = false)]
    public UpgradeDocument? UpgradeKubernetes { get; set; }

    [YamlMember(Alias = "upgrade-agent", ApplyNamingConventions = false)]
    public UpgradeAgentDocument? UpgradeAgent { get; set; }
}

public sealed class InstallCniDocument
{
    public string? Version { get; set; }

    public string? Component { get; set; }

    public string? DestDir { get; set; }
}

public sealed class JoinDocument
{
    public string? Version { get; set; }

    public string? ControlPlaneEndpoint { get; set; }

    public bool ControlPlane { get; set; }

    public string? CniVersion { get; set; }

    public string? BinDir { get; set; }
}

public sealed class UpgradeDocument
{
    public string? Version { get; set; }

    public string? BinDir { get; set; }

    /// <summary>An etcd snapshot before the first control-plane node's `kubeadm upgrade apply` (default true; EtcdSnapshotPlan).</summary>
    public bool? EtcdSnapshot { get; set; }

    /// <summary>That snapshot's settings, as an `etcd-snapshot` step takes them.</summary>
    public EtcdSnapshotDocument? Etcd { get; set; }
}

/// <summary>One explicit step: exactly one of the members is set.</summary>
public sealed class StepDocument
{
    public DownloadDocument? Download { get; set; }

    [YamlMember(Alias = "install-cni", ApplyNamingConventions = false)]
    public InstallCniDocument? InstallCni { get; set; }

    [YamlMember(Alias = "kubeadm-join", ApplyNamingConventions = false)]
    public KubeadmJoinDocument? KubeadmJoin { get; set; }

    [YamlMember(Alias = "kubeadm-upgrade", ApplyNamingConventions = false)]
    public KubeadmUpgradeDocument? KubeadmUpgrade { get; set; }

    public SystemdDocument? Systemd { get; set; }

    [YamlMember(Alias = "wait-kubelet-healthy", ApplyNamingConventions = false)]
    public EmptyDocument? WaitKubeletHealthy { get; set; }

    public EmptyDocument? Cordon { get; set; }

    public DrainDocument? Drain { get; set; }

    public EmptyDocument? Uncordon { get; set; }

    [YamlMember(Alias = "wait-ready", ApplyNamingConventions = false)]
    public WaitReadyDocument? WaitReady { get; set; }

    [YamlMember(Alias = "etcd-snapshot", ApplyNamingConventions = false)]
    public EtcdSnapshotDocument? EtcdSnapshot { get; set; }

    [YamlMember(Alias = "restore-previous", ApplyNamingConventions = false)]
    public RestorePreviousDocument? RestorePrevious { get; set; }
}

public sealed class RestorePreviousDocument
{
    /// <summary>The rollout whose replaces are put back ("r3"); empty: this rollout.</summary>
    public string? Rollout { get; set; }
}

public sealed class EmptyDocument
{
}

public sealed class DownloadDocument
{
    public string? Component { get; set; }

    public string? Version { get; set; }

    public string? Dest { get; set; }

    /// <summary>Octal, e.g. "0755".</summary>
    public string? Mode { get; set; }
}

public sealed class KubeadmJoinDocument
{
    public string? ControlPlaneEndpoint { get; set; }

    public bool ControlPlane { get; set; }
}

public sealed class KubeadmUpgradeDocument
{
    /// <summary>apply or node.</summary>
    public string? Mode { get; set; }

    public string? Version { get; set; }
}

public sealed class SystemdDocument
{
    /// <summary>daemon-reload, restart, enable or enable-now.</summary>
    public string? Action { get; set; }

    public string? Unit { get; set; }
}

public sealed class DrainDocument
{
    public string? GracePeriod { get; set; }

    public bool DeleteWhenEvictionBlocked { get; set; }
}

public sealed class WaitReadyDocument
{
    public string? Version { get; set; }
}

using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>A validated rollout plan: which nodes, how to pace them, and what to do on each.</summary>
public sealed record RolloutPlan(string Name, NodeSelector Target, RolloutStrategy Strategy, Recipe Recipe)
{
    /// <summary>The YAML as applied, kept with the rollout.</summary>
    public string Yaml { get; init; } = "";

    /// <summary>Webhooks told of the rollout's events (Notifications/).</summary>
    public Notifications.RolloutNotifications Notifications { get; init; } = Fleet.Coordinator.Notifications.RolloutNotifications.None;

    /// <summary>Needs the Kubernetes API: its recipe does, or its rollback tails do (they wait Ready and uncordon).</summary>
    public bool NeedsKubernetes => Recipe.NeedsKubernetes || Strategy.OnNodeFailure == OnNodeFailure.Rollback;

    /// <summary>Per node: the version a wait-ready step without one waits for (`rollout rollback`: each node's version before
    /// the rolled-back rollout). Used when the plan is expanded; the expanded steps are stored, so it is not in <see cref="Yaml"/>.</summary>
    public IReadOnlyDictionary<string, string> NodeVersions { get; init; } = new Dictionary<string, string>();
}

/// <summary>A count, or a percentage of the targeted nodes (rounded up, at least 1).</summary>
public readonly record struct CountOrPercent(int Value, bool Percent)
{
    public int Of(int total) => Percent ? Math.Max(1, (int)Math.Ceiling(total * Value / 100.0)) : Value;

    public override string ToString() => Percent ? $"{Value}%" : Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public enum OnFailure
{
    Pause,
    Abort,
}

public sealed record StepTimeouts(TimeSpan Download, TimeSpan Kubeadm, TimeSpan Systemd, TimeSpan Drain, TimeSpan Ready, TimeSpan KubeletHealthy)
{
    public static readonly StepTimeouts Default = new(
        Download: TimeSpan.FromMinutes(10),
        Kubeadm: TimeSpan.FromMinutes(15),
        Systemd: TimeSpan.FromMinutes(2),
        Drain: TimeSpan.FromMinutes(5),
        Ready: TimeSpan.FromMinutes(10),
        KubeletHealthy: TimeSpan.FromMinutes(5));
}

/// <param name="BatchSize">fixed batches of this many nodes (default 1)</param>
/// <param name="MaxUnavailable">instead of fixed batches: at most this many nodes in progress at once</param>
/// <param name="Canary">the first N nodes form a batch of their own</param>
/// <param name="FailureThreshold">failed nodes that trigger <see cref="OnFailure"/> (default 1)</param>
/// <param name="KeepCordoned">on failure or abort, leave cordoned what Fleet cordoned</param>
public sealed record RolloutStrategy(
    CountOrPercent BatchSize,
    CountOrPercent? MaxUnavailable,
    int Canary,
    TimeSpan PauseBetweenBatches,
    CountOrPercent FailureThreshold,
    OnFailure OnFailure,
    bool KeepCordoned,
    StepTimeouts Timeouts)
{
    public static readonly RolloutStrategy Default = new(new(1, false), null, 0, TimeSpan.Zero, new(1, false), OnFailure.Pause, false, StepTimeouts.Default);

    /// <summary>strategy.windows: no node starts outside them; none means any time (Rollouts/Windows).</summary>
    public IReadOnlyList<Windows.MaintenanceWindow> Windows { get; init; } = [];

    /// <summary>A prefetch step first on each node with artifacts (<see cref="PrefetchPlanner"/>); `strategy.prefetch: false` turns it off.</summary>
    public bool Prefetch { get; init; } = true;

    /// <summary>strategy.gates: checked after every batch, before the next starts and before the rollout succeeds.</summary>
    public IReadOnlyList<Gates.Gate> Gates { get; init; } = Rollouts.Gates.GateList.Empty;

    /// <summary>strategy.onNodeFailure: fail (default) or rollback (<see cref="RollbackTail"/>).</summary>
    public OnNodeFailure OnNodeFailure { get; init; } = OnNodeFailure.Fail;
}

/// <summary>What each node gets: a built-in recipe or an explicit list of steps.</summary>
public abstract record Recipe
{
    /// <summary>"install-cni v1.1.1", "upgrade-kubernetes v1.12.5", "steps (3)".</summary>
    public abstract string Describe();

    /// <summary>Needs the Kubernetes API (cordon, drain, readiness, bootstrap tokens).</summary>
    public abstract bool NeedsKubernetes { get; }
}

public sealed record InstallCniRecipe(string Version, string Component, string DestDir) : Recipe
{
    public override string Describe() => $"install-cni {Version}";

    public override bool NeedsKubernetes => false;
}

/// <param name="Version">null: the control plane's version</param>
public sealed record JoinRecipe(string? Version, string ControlPlaneEndpoint, bool ControlPlane, string CniVersion, string BinDir) : Recipe
{
    public override string Describe() => $"join {ControlPlaneEndpoint}" + (Version is null ? "" : $" at {Version}");

    public override bool NeedsKubernetes => true;
}

public sealed record UpgradeRecipe(string Version, string BinDir) : Recipe
{
    /// <summary>Taken on the first control-plane node before each `kubeadm upgrade apply` (by default, with the agent's
    /// defaults); null: `etcdSnapshot: false`.</summary>
    public NodeStep.EtcdSnapshot? EtcdSnapshot { get; init; } = new() { Timeout = StepTimeouts.Default.Kubeadm };

    public override string Describe() => $"upgrade-kubernetes {Version}";

    public override bool NeedsKubernetes => true;
}

/// <summary>fleet-agent upgrades itself on each node (docs/agent-upgrades.md): one upgrade-agent step per node, no cordon
/// or drain (workloads are not touched), no prefetch.</summary>
/// <param name="Version">the fleet-agent package version, X.Y.Z</param>
/// <param name="Deadline">for the new agent to start, connect and report its version, else the node's watchdog rolls back</param>
public sealed record UpgradeAgentRecipe(string Version, TimeSpan Deadline) : Recipe
{
    public override string Describe() => $"upgrade-agent {Version}";

    public override bool NeedsKubernetes => false;
}

public sealed record StepsRecipe(IReadOnlyList<NodeStep> Steps) : Recipe
{
    public override string Describe() => $"steps ({string.Join(", ", Steps.Select(s => s.Kind))})";

    public override bool NeedsKubernetes => Steps.Any(s => s.NeedsKubernetes);
}

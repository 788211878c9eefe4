using System.Globalization;
using System.Text.RegularExpressions;
using Fleet.V1;
using Fleet.Coordinator.Yaml;

namespace Fleet.Coordinator.Rollouts;

/// <summary>Parses a rollout plan and lists every problem by its path; a plan with problems is never run.</summary>
public static partial class PlanParser
{
    public const string DefaultBinDir = "/usr/bin";
    public const string DefaultCniDir = "/opt/cni/bin";
    public const string KubeletUnit = "kubelet.service";

    private static readonly string[] TimeoutKeys = ["download", "kubeadm", "systemd", "drain", "ready", "kubeletHealthy"];

    public static (RolloutPlan? Plan, IReadOnlyList<string> Problems) Parse(string yaml)
    {
        var problems = new List<string>();
        var doc = YamlBinder.Bind<PlanDocument>(yaml, problems);
        if (doc is null)
        {
            return (null, problems.Count > 0 ? problems : ["the plan is empty"]);
        }

        var target = Target(doc.Target, problems);
        var strategy = Strategy(doc.Strategy, problems) with { Gates = Gates.GateParser.Parse(doc.Strategy?.Gates, problems) };
        var recipe = RecipeOf(doc, strategy.Timeouts, problems);
        strategy = strategy with { OnNodeFailure = NodeFailurePolicy.Parse(doc.Strategy?.OnNodeFailure, recipe, problems) };
        var notifications = Notifications.NotificationParser.Parse(doc.Notifications, problems);
        if (doc.Name is { } name && !NodeNames.IsValid(name))
        {
            problems.Add($"name: \"{name}\" is not a valid name ({NodeNames.Rule})");
        }

        if (problems.Count > 0 || recipe is null)
        {
            return (null, problems);
        }

        return (new RolloutPlan(doc.Name ?? "", target, strategy, recipe) { Yaml = yaml, Notifications = notifications }, problems);
    }

    private static NodeSelector Target(TargetDocument? doc, List<string> problems)
    {
        var selector = new NodeSelector();
        if (doc is null)
        {
            problems.Add("target: missing (give names, arch or labels; an empty target `target: {}` means every node)");
            return selector;
        }

        foreach (var (key, names) in new[] { ("names", doc.Names), ("exclude", doc.Exclude) })
        {
            foreach (var name in names.Where(n => !NodeNames.IsValid(n)))
            {
                problems.Add($"target.{key}: \"{name}\" is not a valid node name ({NodeNames.Rule})");
            }
        }

        var both = doc.Names.Intersect(doc.Exclude, StringComparer.Ordinal).ToList();
        if (both.Count > 0)
        {
            problems.Add($"target: {string.Join(", ", both)} both named and excluded");
        }

        selector.Names.AddRange(doc.Names);
        selector.Exclude.AddRange(doc.Exclude);
        selector.SkipDisconnected = doc.SkipDisconnected ?? false;
        if (doc.Arch is not null)
        {
            if (ArchNames.TryParse(doc.Arch, out var arch))
            {
                selector.Arch = arch;
            }
            else
            {
                problems.Add($"target.arch: \"{doc.Arch}\" is not an architecture (amd64, arm64, arm)");
            }
        }

        selector.Labels.Add(doc.Labels);
        problems.AddRange(NodeLabels.Problems(doc.Labels, "target.labels"));
        return selector;
    }

    private static RolloutStrategy Strategy(StrategyDocument? doc, List<string> problems)
    {
        var d = RolloutStrategy.Default;
        if (doc is null)
        {
            return d;
        }

        if (doc.BatchSize is not null && doc.MaxUnavailable is not null)
        {
            problems.Add("strategy: give batchSize or maxUnavailable, not both");
        }

        var timeouts = d.Timeouts;
        foreach (var (key, value) in doc.Timeouts)
        {
            if (!TimeoutKeys.Contains(key))
            {
                problems.Add($"strategy.timeouts.{key}: not a step timeout ({string.Join(", ", TimeoutKeys)})");
                continue;
            }

            if (DurationText.Problem(value, out var t) is { } problem)
            {
                problems.Add($"strategy.timeouts.{key}: {problem}");
                continue;
            }

            timeouts = key switch
            {
                "download" => timeouts with { Download = t },
                "kubeadm" => timeouts with { Kubeadm = t },
                "systemd" => timeouts with { Systemd = t },
                "drain" => timeouts with { Drain = t },
                "ready" => timeouts with { Ready = t },
                _ => timeouts with { KubeletHealthy = t },
            };
        }

        var onFailure = doc.OnFailure switch
        {
            null or "pause" => OnFailure.Pause,
            "abort" => OnFailure.Abort,
            _ => Problem(problems, $"strategy.onFailure: \"{doc.OnFailure}\" is not pause or abort", OnFailure.Pause),
        };
        if (doc.Canary is < 0)
        {
            problems.Add("strategy.canary: must be 0 or more");
        }

        var pause = TimeSpan.Zero;
        if (doc.PauseBetweenBatches is { } p && p.Trim() != "0s" && DurationText.Problem(p, out pause) is { } pauseProblem)
        {
            problems.Add($"strategy.pauseBetweenBatches: {pauseProblem} (0s for none)");
        }

        return new RolloutStrategy(
            Count("strategy.batchSize", doc.BatchSize, problems) ?? d.BatchSize,
            Count("strategy.maxUnavailable", doc.MaxUnavailable, problems),
            doc.Canary ?? 0,
            pause,
            Count("strategy.failureThreshold", doc.FailureThreshold, problems) ?? d.FailureThreshold,
            onFailure,
            doc.KeepCordoned ?? false,
            timeouts)
        {
            Windows = Windows.MaintenanceWindowParser.ParseAll("strategy.windows", doc.Windows, problems),
            Prefetch = doc.Prefetch ?? true,
        };
    }

    private static CountOrPercent? Count(string at, string? text, List<string> problems)
    {
        if (text is null)
        {
            return null;
        }

        var percent = text.EndsWith('%');
        if (int.TryParse(percent ? text[..^1] : text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && (!percent || n <= 100))
        {
            return new CountOrPercent(n, percent);
        }

        problems.Add($"{at}: \"{text}\" is not a count (1 or more) or a percentage (1% to 100%)");
        return null;
    }

    private static Recipe? RecipeOf(PlanDocument doc, StepTimeouts timeouts, List<string> problems)
    {
        var recipes = new List<string>();
        if (doc.Recipe?.InstallCni is not null)
        {
            recipes.Add("install-cni");
        }

        if (doc.Recipe?.Join is not null)
        {
            recipes.Add("join");
        }

        if (doc.Recipe?.UpgradeKubernetes is not null)
        {
            recipes.Add("upgrade-kubernetes");
        }

        if (doc.Recipe?.UpgradeAgent is not null)
        {
            recipes.Add("upgrade-agent");
        }

        if (recipes.Count + (doc.Steps is null ? 0 : 1) != 1)
        {
            problems.Add(recipes.Count + (doc.Steps is null ? 0 : 1) == 0
                ? "recipe or steps: give one (recipe: install-cni, join, upgrade-kubernetes or upgrade-agent; or a list of steps)"
                : $"recipe or steps: give exactly one, not {string.Join(" and ", recipes.Concat(doc.Steps is null ? [] : ["steps"]))}");
            return null;
        }

        if (doc.Recipe?.InstallCni is { } cni)
        {
            return new InstallCniRecipe(RequiredVersion("recipe.install-cni.version", cni.Version, problems), cni.Component ?? NodeStep.InstallCni.DefaultComponent, Path("recipe.install-cni.destDir", cni.DestDir ?? DefaultCniDir, problems));
        }

        if (doc.Recipe?.Join is { } join)
        {
            if (join.Version is not null)
            {
                RequiredVersion("recipe.join.version", join.Version, problems);
            }

            return new JoinRecipe(
                join.Version,
                Endpoint("recipe.join.controlPlaneEndpoint", join.ControlPlaneEndpoint, problems),
                join.ControlPlane,
                RequiredVersion("recipe.join.cniVersion", join.CniVersion, problems),
                Path("recipe.join.binDir", join.BinDir ?? DefaultBinDir, problems));
        }

        if (doc.Recipe?.UpgradeKubernetes is { } upgrade)
        {
            return new UpgradeRecipe(RequiredVersion("recipe.upgrade-kubernetes.version", upgrade.Version, problems), Path("recipe.upgrade-kubernetes.binDir", upgrade.BinDir ?? DefaultBinDir, problems))
            {
                EtcdSnapshot = EtcdSnapshotPlan.ForUpgrade(upgrade, timeouts, problems),
            };
        }

        if (doc.Recipe?.UpgradeAgent is { } agent)
        {
            return UpgradeAgentParser.Parse(agent, problems);
        }

        var steps = new List<NodeStep>();
        if (doc.Steps!.Count == 0)
        {
            problems.Add("steps: empty");
        }

        for (var i = 0; i < doc.Steps.Count; i++)
        {
            if (Step($"steps[{i}]", doc.Steps[i], timeouts, problems) is { } step)
            {
                steps.Add(step);
            }
        }

        return new StepsRecipe(steps);
    }

    /// <summary>The one place a plan's step (YAML) becomes a typed <see cref="NodeStep"/>.</summary>
    private static NodeStep? Step(string at, StepDocument s, StepTimeouts timeouts, List<string> problems)
    {
        var set = new List<NodeStep>();
        if (s.Download is { } d)
        {
            set.Add(new NodeStep.Download
            {
                Component = Required($"{at}.download.component", d.Component, problems),
                Version = RequiredVersion($"{at}.download.version", d.Version, problems),
                Dest = Path($"{at}.download.dest", d.Dest, problems),
                Mode = Mode($"{at}.download.mode", d.Mode, problems),
                Timeout = timeouts.Download,
            });
        }

        if (s.InstallCni is { } c)
        {
            set.Add(new NodeStep.InstallCni
            {
                Component = c.Component ?? NodeStep.InstallCni.DefaultComponent,
                Version = RequiredVersion($"{at}.install-cni.version", c.Version, problems),
                Dest = Path($"{at}.install-cni.destDir", c.DestDir ?? DefaultCniDir, problems),
                Timeout = timeouts.Download,
            });
        }

        if (s.KubeadmJoin is { } j)
        {
            set.Add(new NodeStep.KubeadmJoin
            {
                ControlPlaneEndpoint = Endpoint($"{at}.kubeadm-join.controlPlaneEndpoint", j.ControlPlaneEndpoint, problems),
                ControlPlane = j.ControlPlane,
                Timeout = timeouts.Kubeadm,
            });
        }

        if (s.KubeadmUpgrade is { } u)
        {
            var mode = u.Mode is NodeStep.KubeadmUpgrade.Apply or NodeStep.KubeadmUpgrade.Node ? u.Mode : Problem(problems, $"{at}.kubeadm-upgrade.mode: {(u.Mode is null ? "missing" : $"\"{u.Mode}\" is not apply or node")}", NodeStep.KubeadmUpgrade.Node);
            set.Add(new NodeStep.KubeadmUpgrade
            {
                UpgradeMode = mode,
                Version = mode == NodeStep.KubeadmUpgrade.Apply ? RequiredVersion($"{at}.kubeadm-upgrade.version", u.Version, problems) : u.Version,
                Timeout = timeouts.Kubeadm,
            });
        }

        if (s.Systemd is { } sd)
        {
            var action = sd.Action is not null && NodeStep.Systemd.Actions.Contains(sd.Action) ? sd.Action : Problem(problems, $"{at}.systemd.action: {(sd.Action is null ? "missing" : $"\"{sd.Action}\" is not daemon-reload, restart, enable or enable-now")}", "restart");
            if (action != "daemon-reload" && (sd.Unit is null || !UnitPattern().IsMatch(sd.Unit)))
            {
                problems.Add($"{at}.systemd.unit: {(sd.Unit is null ? "missing" : $"\"{sd.Unit}\" is not a unit name (e.g. kubelet.service)")}");
            }

            set.Add(new NodeStep.Systemd { SystemdAction = action, Unit = sd.Unit, Timeout = timeouts.Systemd });
        }

        if (s.WaitKubeletHealthy is not null)
        {
            set.Add(new NodeStep.WaitKubeletHealthy { Timeout = timeouts.KubeletHealthy });
        }

        if (s.Cordon is not null)
        {
            set.Add(new NodeStep.Cordon { Timeout = timeouts.Drain });
        }

        if (s.Drain is { } dr)
        {
            TimeSpan? grace = null;
            if (dr.GracePeriod is { } g)
            {
                grace = DurationText.Problem(g, out var gp) is { } graceProblem ? Problem<TimeSpan?>(problems, $"{at}.drain.gracePeriod: {graceProblem}", null) : gp;
            }

            set.Add(new NodeStep.Drain { GracePeriod = grace, DeleteWhenEvictionBlocked = dr.DeleteWhenEvictionBlocked, Timeout = timeouts.Drain });
        }

        if (s.Uncordon is not null)
        {
            set.Add(new NodeStep.Uncordon { Timeout = timeouts.Drain });
        }

        if (s.WaitReady is { } w)
        {
            if (w.Version is not null)
            {
                RequiredVersion($"{at}.wait-ready.version", w.Version, problems);
            }

            set.Add(new NodeStep.WaitReady { Version = w.Version, Timeout = timeouts.Ready });
        }

        if (s.EtcdSnapshot is { } es)
        {
            set.Add(EtcdSnapshotPlan.Parse($"{at}.etcd-snapshot", es, timeouts, problems));
        }

        if (s.RestorePrevious is { } r)
        {
            set.Add(RestorePreviousParser.Parse($"{at}.restore-previous", r, timeouts, problems));
        }

        if (set.Count != 1)
        {
            problems.Add(set.Count == 0
                ? $"{at}: names no step (download, install-cni, kubeadm-join, kubeadm-upgrade, systemd, wait-kubelet-healthy, cordon, drain, uncordon, wait-ready, etcd-snapshot, restore-previous)"
                : $"{at}: names {set.Count} steps ({string.Join(", ", set.Select(x => x.Kind))}); give one per list item");
            return null;
        }

        return set[0];
    }

    private static string Required(string at, string? value, List<string> problems) =>
        string.IsNullOrWhiteSpace(value) ? Problem(problems, $"{at}: missing", "") : value;

    private static string RequiredVersion(string at, string? value, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Problem(problems, $"{at}: missing", "");
        }

        return KubeVersion.TryParse(value, out _) ? value : Problem(problems, $"{at}: \"{value}\" is not a version like v1.12.5", value);
    }

    private static string Path(string at, string? value, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Problem(problems, $"{at}: missing", "");
        }

        return NodePath.Problem(value) is { } problem ? Problem(problems, $"{at}: {problem}", value) : value;
    }

    private static string Endpoint(string at, string? value, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Problem(problems, $"{at}: missing (host:port of the API server, e.g. 10.0.0.1:6443)", "");
        }

        return EndpointPattern().IsMatch(value) ? value : Problem(problems, $"{at}: \"{value}\" is not host:port", value);
    }

    private static uint Mode(string at, string? text, List<string> problems)
    {
        if (text is null)
        {
            return 0; // not given: the step's default (DownloadMode.Executable)
        }

        try
        {
            var mode = Convert.ToUInt32(text, 8);
            return DownloadMode.Problem(mode) is { } problem ? Problem(problems, $"{at}: {problem}", 0u) : mode;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            return Problem(problems, $"{at}: \"{text}\" is not an octal file mode like \"0755\"", 0u);
        }
    }

    private static T Problem<T>(List<string> problems, string problem, T fallback)
    {
        problems.Add(problem);
        return fallback;
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9:_.@\\-]{0,254}$")]
    private static partial Regex UnitPattern();

    [GeneratedRegex(@"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9][A-Za-z0-9.\-]*):[0-9]{1,5}$")]
    private static partial Regex EndpointPattern();
}

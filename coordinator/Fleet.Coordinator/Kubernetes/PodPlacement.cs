using k8s.Models;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>
/// Whether the scheduler may place a pod template on a node: nodeSelector, required node affinity
/// (matchExpressions on labels, matchFields on metadata.name) and NoSchedule/NoExecute taints against tolerations.
/// </summary>
public static class PodPlacement
{
    /// <summary>Tolerations the DaemonSet controller adds to every DaemonSet pod.</summary>
    private static readonly V1Toleration[] DaemonSetTolerations =
    [
        .. new[] { "not-ready", "unreachable" }.Select(k => new V1Toleration { Key = $"node.kubernetes.io/{k}", OperatorProperty = "Exists", Effect = "NoExecute" }),
        .. new[] { "disk-pressure", "memory-pressure", "pid-pressure", "unschedulable", "network-unavailable" }
            .Select(k => new V1Toleration { Key = $"node.kubernetes.io/{k}", OperatorProperty = "Exists", Effect = "NoSchedule" }),
    ];

    /// <summary>Null when the pod may run on the node; else why not.</summary>
    public static string? WhyNot(V1PodSpec spec, V1Node node, bool daemonSet)
    {
        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        foreach (var (key, value) in spec.NodeSelector ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return $"nodeSelector {key}={value}";
            }
        }

        var terms = spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        if (terms is { Count: > 0 } && !terms.Any(t => TermMatches(t, labels, node.Metadata?.Name ?? "")))
        {
            return "required node affinity";
        }

        var tolerations = (spec.Tolerations ?? []).Concat(daemonSet ? DaemonSetTolerations : []).ToList();
        foreach (var taint in node.Spec?.Taints ?? [])
        {
            if (taint.Effect is "NoSchedule" or "NoExecute" && !tolerations.Any(t => Tolerates(t, taint)))
            {
                return $"taint {taint.Key}{(string.IsNullOrEmpty(taint.Value) ? "" : "=" + taint.Value)}:{taint.Effect} not tolerated";
            }
        }

        return null;
    }

    /// <summary>Whether the template's architecture constraints alone (nodeSelector and required affinity on kubernetes.io/arch) admit <paramref name="arch"/>.</summary>
    public static bool ArchAllowed(V1PodSpec spec, string arch)
    {
        foreach (var key in new[] { KubeLabels.Arch, KubeLabels.BetaArch })
        {
            if (spec.NodeSelector?.TryGetValue(key, out var wanted) == true && wanted != arch)
            {
                return false;
            }
        }

        var terms = spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        if (terms is not { Count: > 0 })
        {
            return true;
        }

        // Only the arch expressions count here: a node with any other labels is assumed to exist.
        var archLabels = new Dictionary<string, string> { [KubeLabels.Arch] = arch, [KubeLabels.BetaArch] = arch };
        return terms.Any(t => (t.MatchExpressions ?? []).Where(e => e.Key is KubeLabels.Arch or KubeLabels.BetaArch).All(e => ExpressionMatches(e, archLabels)));
    }

    private static bool TermMatches(V1NodeSelectorTerm term, IDictionary<string, string> labels, string name)
    {
        if (term.MatchExpressions is not { Count: > 0 } && term.MatchFields is not { Count: > 0 })
        {
            return false; // an empty term matches no node
        }

        var fields = new Dictionary<string, string> { ["metadata.name"] = name };
        return (term.MatchExpressions ?? []).All(e => ExpressionMatches(e, labels)) && (term.MatchFields ?? []).All(e => ExpressionMatches(e, fields));
    }

    private static bool ExpressionMatches(V1NodeSelectorRequirement e, IDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(e.Key, out var value);
        var values = e.Values ?? [];
        return e.OperatorProperty switch
        {
            "In" => has && values.Contains(value!),
            "NotIn" => !has || !values.Contains(value!),
            "Exists" => has,
            "DoesNotExist" => !has,
            "Gt" => has && long.TryParse(value, out var v1) && values.Count == 1 && long.TryParse(values[0], out var b1) && v1 > b1,
            "Lt" => has && long.TryParse(value, out var v2) && values.Count == 1 && long.TryParse(values[0], out var b2) && v2 < b2,
            _ => false,
        };
    }

    private static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }

        if (toleration.OperatorProperty == "Exists")
        {
            return string.IsNullOrEmpty(toleration.Key) || toleration.Key == taint.Key;
        }

        return toleration.Key == taint.Key && (toleration.Value ?? "") == (taint.Value ?? "");
    }
}

using Fleet.Coordinator.Nodes;
using Fleet.V1;
using k8s.Models;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>What `fleetctl cluster audit` reports, from what the API server and the agents say.</summary>
public static class ClusterAuditor
{
    public const string CniCheck = "cni-plugins";

    public static ClusterAuditReport Audit(
        string serverVersion,
        IList<V1Node> kubeNodes,
        IEnumerable<V1DaemonSet> daemonSets,
        IEnumerable<V1Deployment> deployments,
        IReadOnlyList<NodeRecord> fleet,
        IReadOnlyDictionary<string, KubeNodeAssignment> assignments)
    {
        var fleetArchs = fleet.Select(r => r.Facts.Arch).Where(a => a.IsKnown()).Select(a => a.ToName()).Distinct().Order(StringComparer.Ordinal).ToList();
        var mappings = ClusterMapping.Map(fleet, assignments, kubeNodes);
        var report = new ClusterAuditReport { ServerVersion = serverVersion };
        report.FleetArchs.AddRange(fleetArchs);

        var workloads = daemonSets.Select(d => ("DaemonSet", d.Metadata, d.Spec?.Template?.Spec))
            .Concat(deployments.Select(d => ("Deployment", d.Metadata, d.Spec?.Template?.Spec)));
        foreach (var (kind, meta, spec) in workloads)
        {
            if (spec is null)
            {
                continue;
            }

            report.Workloads.Add(AuditWorkload(kind, meta, spec, kubeNodes, fleetArchs));
        }

        foreach (var record in fleet.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var check = record.Health?.Checks.FirstOrDefault(c => c.Name == CniCheck);
            if (check is { Status: HealthStatus.Warning or HealthStatus.Failing })
            {
                report.Cni.Add(new CniAudit { FleetNode = record.Name, Status = check.Status.ToName(), Reason = check.Reason });
            }
        }

        var fleetByKube = mappings.Where(m => m.Found).GroupBy(m => m.KubeNode).ToDictionary(g => g.Key, g => g.First().FleetNode);
        foreach (var node in kubeNodes.OrderBy(n => n.Metadata?.Name, StringComparer.Ordinal))
        {
            var kubelet = node.Status?.NodeInfo?.KubeletVersion ?? "";
            if (VersionSkew.Problem(serverVersion, kubelet) is { } problem)
            {
                report.Skew.Add(new SkewAudit
                {
                    KubeNode = node.Metadata?.Name ?? "",
                    FleetNode = fleetByKube.GetValueOrDefault(node.Metadata?.Name ?? "", ""),
                    KubeletVersion = kubelet,
                    Problem = problem,
                });
            }
        }

        report.ArchMismatches.AddRange(mappings.Where(m => m.ArchMismatch));
        return report;
    }

    private static WorkloadArchAudit AuditWorkload(string kind, V1ObjectMeta meta, V1PodSpec spec, IList<V1Node> kubeNodes, List<string> fleetArchs)
    {
        var daemonSet = kind == "DaemonSet";
        var audit = new WorkloadArchAudit { Kind = kind, Namespace = meta?.NamespaceProperty ?? "", Name = meta?.Name ?? "" };
        string[] known = ["amd64", "arm64", "arm"];
        var candidates = known.Concat(fleetArchs).Distinct().ToList();
        var allowed = candidates.Where(a => PodPlacement.ArchAllowed(spec, a)).ToList();
        if (allowed.Count < candidates.Count)
        {
            audit.AllowedArchs.AddRange(allowed);
        }

        var runnable = new SortedSet<string>(StringComparer.Ordinal);
        var archsInCluster = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in kubeNodes.OrderBy(n => n.Metadata?.Name, StringComparer.Ordinal))
        {
            var arch = KubeLabels.LabelOf(node, KubeLabels.Arch);
            archsInCluster.Add(arch);
            var why = PodPlacement.WhyNot(spec, node, daemonSet);
            if (why is null)
            {
                runnable.Add(arch);
            }
            else if (daemonSet)
            {
                audit.BlockedNodes.Add($"{node.Metadata?.Name}: {why}");
            }
        }

        audit.RunnableArchs.AddRange(runnable.Where(a => a.Length > 0));

        // A fleet arch with no Kubernetes node yet (nodes still to join) is judged by the arch constraints alone.
        audit.MissingArchs.AddRange(fleetArchs.Where(a => archsInCluster.Contains(a) ? !runnable.Contains(a) : !allowed.Contains(a)));
        return audit;
    }
}

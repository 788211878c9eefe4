using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Ctl.Cluster;

/// <summary>`fleetctl cluster status -o json`.</summary>
public sealed record ClusterStatusView(string Kubeconfig, string Server, string ServerVersion, List<KubeNodeView> KubernetesNodes, List<MappingView> Mappings)
{
    public static ClusterStatusView From(ClusterStatus s) => new(
        s.Kubeconfig,
        s.Server,
        s.ServerVersion,
        s.KubeNodes.Select(n => new KubeNodeView(n.Name, n.Ready ? "Ready" : "NotReady", n.ControlPlane ? "control-plane" : "worker", n.KubeletVersion, n.Arch, n.Board,
            n.Unschedulable, n.CordonedByFleet, n.FleetNode)).ToList(),
        s.Mappings.Select(MappingView.From).ToList());
}

public sealed record KubeNodeView(string Name, string Status, string Role, string KubeletVersion, string Arch, string Board, bool Unschedulable, bool CordonedByFleet, string FleetNode);

public sealed record MappingView(
    string FleetNode, string KubernetesNode, string MappedBy, bool Found, string FleetArch, string KubernetesArch, bool ArchMismatch, bool Approved, string Conflict)
{
    public static MappingView From(NodeMapping m) => new(m.FleetNode, m.KubeNode, m.MappedBy, m.Found, m.FleetArch, m.KubeArch, m.ArchMismatch, m.Approved, m.Conflict);

    /// <summary>What is wrong with the mapping, for the table; "" when nothing.</summary>
    public string Problem =>
        Conflict.Length > 0 ? Conflict
        : !Found ? "no Kubernetes node of that name"
        : !Approved ? "awaiting approval: Fleet does not label or act on it"
        : ArchMismatch ? $"kubernetes.io/arch={KubernetesArch} but the agent reports {FleetArch}"
        : "";
}

/// <summary>`fleetctl cluster audit -o json`.</summary>
public sealed record ClusterAuditView(string ServerVersion, List<string> FleetArchs, List<WorkloadView> Workloads, List<CniView> CniPlugins, List<SkewView> VersionSkew, List<MappingView> ArchMismatches)
{
    public static ClusterAuditView From(ClusterAuditReport r) => new(
        r.ServerVersion,
        r.FleetArchs.ToList(),
        r.Workloads.Select(w => new WorkloadView(w.Kind, w.Namespace, w.Name, w.AllowedArchs.ToList(), w.RunnableArchs.ToList(), w.MissingArchs.ToList(), w.BlockedNodes.ToList())).ToList(),
        r.Cni.Select(c => new CniView(c.FleetNode, c.Status, c.Reason)).ToList(),
        r.Skew.Select(s => new SkewView(s.KubeNode, s.FleetNode, s.KubeletVersion, s.Problem)).ToList(),
        r.ArchMismatches.Select(MappingView.From).ToList());

    public int Findings => Workloads.Count(w => w.MissingArchs.Count > 0) + CniPlugins.Count + VersionSkew.Count + ArchMismatches.Count;
}

/// <param name="AllowedArchs">by the arch constraints; empty: any</param>
public sealed record WorkloadView(string Kind, string Namespace, string Name, List<string> AllowedArchs, List<string> RunnableArchs, List<string> MissingArchs, List<string> BlockedNodes);

public sealed record CniView(string FleetNode, string Status, string Reason);

public sealed record SkewView(string KubernetesNode, string FleetNode, string KubeletVersion, string Problem);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(Fleet.Ctl.Output.Rfc3339Converter)])]
[JsonSerializable(typeof(ClusterStatusView))]
[JsonSerializable(typeof(ClusterAuditView))]
internal sealed partial class ClusterJson : JsonSerializerContext;

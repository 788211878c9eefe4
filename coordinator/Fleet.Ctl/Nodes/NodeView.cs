using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Ctl.Nodes;

/// <summary>A node as fleetctl shows it (-o json): plain names, no protobuf enum spellings.</summary>
public sealed record NodeView(
    string Name,
    string Id,
    string Status,
    bool Connected,
    bool Approved,
    string Arch,
    string RawMachine,
    string Board,
    string Os,
    string Kernel,
    int Cpus,
    long MemoryBytes,
    string AgentVersion,
    string AgentInstall,
    string Kubelet,
    string Kubeadm,
    string ContainerRuntime,
    IReadOnlyList<string> CniPlugins,
    IReadOnlyDictionary<string, string> Labels,
    string Health,
    IReadOnlyList<CheckView> Checks,
    DateTimeOffset? HealthSampledAt,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen)
{
    public static NodeView From(Node node)
    {
        var f = node.Facts ?? new NodeFacts();
        return new NodeView(
            Name: node.Name,
            Id: node.Id,
            Status: node.Status.ToName(),
            Connected: node.Connected,
            Approved: node.Approved,
            Arch: f.Arch.IsKnown() ? f.Arch.ToName() : "unknown",
            RawMachine: f.RawMachine,
            Board: f.BoardModel,
            Os: f.OsRelease,
            Kernel: f.Kernel,
            Cpus: f.CpuCount,
            MemoryBytes: f.MemoryTotalBytes,
            AgentVersion: f.AgentVersion,
            AgentInstall: f.AgentInstall,
            Kubelet: f.KubeletVersion,
            Kubeadm: f.KubeadmVersion,
            ContainerRuntime: f.ContainerRuntime,
            CniPlugins: [.. f.CniPlugins],
            Labels: new SortedDictionary<string, string>(f.Labels, StringComparer.Ordinal),
            Health: node.Health.Worst().ToName(),
            Checks: node.Health?.Checks.Select(c => new CheckView(c.Name, c.Status.ToName(), c.Reason)).ToArray() ?? [],
            HealthSampledAt: node.Health?.SampledAt?.ToDateTimeOffset(),
            FirstSeen: node.FirstSeen.ToDateTimeOffset(),
            LastSeen: node.LastSeen.ToDateTimeOffset());
    }
}

public sealed record CheckView(string Name, string Status, string Reason);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(Fleet.Ctl.Output.Rfc3339Converter)])]
[JsonSerializable(typeof(NodeView))]
[JsonSerializable(typeof(List<NodeView>))]
internal sealed partial class FleetCtlJson : JsonSerializerContext;

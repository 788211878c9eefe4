using System.Reflection;
using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.V1;

namespace Fleet.Agent.Facts;

/// <summary>Collects what the node is, from the real sources under --root, for the Hello message.</summary>
public sealed class FactsCollector(AgentOptions options, HostPaths paths, IUname uname, CniPlugins cni, KubernetesVersionProbe versions, AgentInstall install)
{
    private static readonly (string Name, string Socket)[] RuntimeSockets =
    [
        ("containerd", "/run/containerd/containerd.sock"),
        ("cri-o", "/run/crio/crio.sock"),
        ("cri-dockerd", "/run/cri-dockerd.sock"),
        ("docker", "/var/run/docker.sock"),
    ];

    public static string AgentVersion { get; } = ReadAgentVersion();

    public async Task<NodeFacts> CollectAsync(CancellationToken ct)
    {
        var kernel = uname.Read();
        var memInfo = paths.TryReadText("/proc/meminfo") is { } m ? ProcParsers.MemInfo(m) : [];
        var facts = new NodeFacts
        {
            NodeName = options.Name ?? kernel.NodeName.ToLowerInvariant(), // as kubelet names its node
            Arch = ArchNormalizer.Normalize(kernel.Machine),
            RawMachine = kernel.Machine,
            Hostname = kernel.NodeName.ToLowerInvariant(),
            Kernel = kernel.Release,
            OsRelease = OsRelease(),
            BoardModel = BoardModel(),
            CpuCount = CpuCount(),
            MemoryTotalBytes = memInfo.GetValueOrDefault("MemTotal"),
            AgentVersion = AgentVersion,
            AgentInstall = install.Current.Kind,
            KubeletVersion = await versions.KubeletAsync(ct),
            KubeadmVersion = await versions.KubeadmAsync(ct),
            ContainerRuntime = ContainerRuntime(),
        };
        facts.CniPlugins.AddRange(cni.Present());
        foreach (var (key, value) in options.Labels)
        {
            facts.Labels[key] = value;
        }

        return facts;
    }

    private string OsRelease() =>
        (paths.TryReadText("/etc/os-release") ?? paths.TryReadText("/usr/lib/os-release")) is { } text
            ? ProcParsers.OsPrettyName(text) ?? ""
            : "";

    /// <summary>Device-tree model on ARM boards ("Raspberry Pi 4 Model B Rev 1.4"), else DMI vendor and product.</summary>
    private string BoardModel()
    {
        if (paths.TryReadText("/proc/device-tree/model") is { } model && model.TrimEnd('\0', '\n', ' ') is { Length: > 0 } m)
        {
            return m;
        }

        var product = paths.TryReadText("/sys/class/dmi/id/product_name")?.Trim() ?? "";
        var vendor = paths.TryReadText("/sys/class/dmi/id/sys_vendor")?.Trim() ?? "";
        return product.Length == 0 ? vendor
            : vendor.Length == 0 || product.StartsWith(vendor, StringComparison.OrdinalIgnoreCase) ? product
            : $"{vendor} {product}";
    }

    private int CpuCount() =>
        paths.TryReadText("/sys/devices/system/cpu/online") is { } online && ProcParsers.CpuListCount(online) is { } n
            ? n
            : 0;

    private string ContainerRuntime()
    {
        foreach (var (name, socket) in RuntimeSockets)
        {
            if (File.Exists(paths.Resolve(socket)))
            {
                return $"{name} ({socket})";
            }
        }

        return "";
    }

    private static string ReadAgentVersion()
    {
        var version = typeof(FactsCollector).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = version.IndexOf('+');
        return plus > 0 ? version[..plus] : version;
    }
}

using Fleet.Agent.Hosting;

namespace Fleet.Agent.Facts;

/// <summary>The CNI plugins installed on the node: executable regular files in /opt/cni/bin.</summary>
public sealed class CniPlugins(HostPaths paths)
{
    public const string Directory = "/opt/cni/bin";

    public IReadOnlyList<string> Present()
    {
        var dir = new DirectoryInfo(paths.Resolve(Directory));
        if (!dir.Exists)
        {
            return [];
        }

        return dir.EnumerateFiles()
            .Where(f => !f.Name.StartsWith('.') && (f.UnixFileMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            .Select(f => f.Name)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }
}

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
            .Where(f => !f.Name.StartsWith('.') && IsExecutable(f))
            .Select(f => f.Name)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>
    /// A symlink counts by its target: a dangling link (its package removed) reports the link's own
    /// mode, rwxrwxrwx, but is no plugin.
    /// </summary>
    private static bool IsExecutable(FileInfo file)
    {
        if (file.LinkTarget is not null)
        {
            try
            {
                if (file.ResolveLinkTarget(returnFinalTarget: true) is not FileInfo { Exists: true })
                {
                    return false;
                }
            }
            catch (IOException)
            {
                return false; // a link loop
            }
        }

        return (file.UnixFileMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}

using Fleet.Agent.Configuration;

namespace Fleet.Agent.Hosting;

/// <summary>
/// The one place where the agent turns a node path (/proc/meminfo, /opt/cni/bin) into a real path:
/// every path goes through the --root prefix, so tests and the demo run the real code in a sandbox.
/// </summary>
public sealed class HostPaths(AgentOptions options)
{
    public string Root { get; } = Path.GetFullPath(options.Root);

    /// <summary>The real location of an absolute node path.</summary>
    public string Resolve(string nodePath)
    {
        if (!nodePath.StartsWith('/'))
        {
            throw new ArgumentException($"node paths are absolute, got \"{nodePath}\"", nameof(nodePath));
        }

        return Root == "/" ? nodePath : Path.Join(Root, nodePath);
    }

    public string StateDir => Resolve(options.StateDir);

    /// <summary>Reads a small text file, or null when it does not exist or cannot be read.</summary>
    public string? TryReadText(string nodePath)
    {
        try
        {
            return File.ReadAllText(Resolve(nodePath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

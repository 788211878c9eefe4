using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;

namespace Fleet.Agent.Tests;

/// <summary>
/// A fake node file system in a temporary folder: the agent's --root. Files are written at node paths
/// (/proc/meminfo, /opt/cni/bin/loopback) and the real agent code reads them through <see cref="HostPaths"/>.
/// </summary>
public sealed class FixtureRoot : IDisposable
{
    public const UnixFileMode Executable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public const UnixFileMode Regular = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public FixtureRoot() => Root = Directory.CreateTempSubdirectory("fleet-agent-tests-").FullName;

    /// <summary>The real folder standing for the node's "/".</summary>
    public string Root { get; }

    /// <summary>The real location of a node path.</summary>
    public string Resolve(string nodePath) => Path.Join(Root, nodePath);

    /// <summary>Writes a file at a node path, creating its folders; returns the real path.</summary>
    public string Write(string nodePath, string content, UnixFileMode mode = Regular)
    {
        var path = Resolve(nodePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    /// <summary>Writes an executable /bin/sh script at a node path; returns the real path.</summary>
    public string WriteScript(string nodePath, string body) => Write(nodePath, "#!/bin/sh\n" + body + "\n", Executable);

    /// <summary>Creates a folder at a node path; returns the real path.</summary>
    public string CreateDirectory(string nodePath) => Directory.CreateDirectory(Resolve(nodePath)).FullName;

    /// <summary>Options rooted here, with no configured node name.</summary>
    public AgentOptions Options() => new() { Root = Root, Name = null };

    public HostPaths Paths(AgentOptions? options = null) => new(options ?? Options());

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A child process of a test may still hold a file; /tmp is cleaned by the OS.
        }
    }
}

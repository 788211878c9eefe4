using System.Text.RegularExpressions;
using Fleet.Agent.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Steps;

/// <summary>
/// The agent's own temporary files, and what a crash leaves of them. A download is written to
/// `.fleet-HEX.part` beside its destination, a tarball is extracted into `.fleet-staging-HEX` there,
/// and kubeadm's JoinConfiguration goes into `.fleet-kubeadm-HEX` in the state folder (HEX being a
/// fresh Guid's 32 hex digits). Each folder a download uses is recorded in STATE/temp-dirs before
/// anything is written there, so at start <see cref="Clean"/> knows where to look, and looks nowhere
/// else: only the recorded folders and the state folder, only their top level, only names of exactly
/// those three shapes; a link of such a name is removed as a link, never followed.
/// </summary>
public sealed partial class LeftoverFiles(HostPaths paths, ILogger<LeftoverFiles> logger)
{
    public const string RecordFile = "temp-dirs";

    private readonly Lock _gate = new();
    private HashSet<string>? _recorded;

    private string RecordPath => Path.Join(paths.StateDir, RecordFile);

    /// <summary>A new temporary file name in <paramref name="dir"/>, recorded first.</summary>
    public string NewPartFile(string dir)
    {
        Record(dir);
        return Path.Join(dir, $".fleet-{Guid.NewGuid():N}.part");
    }

    /// <summary>A new staging folder name in <paramref name="dir"/>, recorded first (not created).</summary>
    public string NewStagingFolder(string dir)
    {
        Record(dir);
        return Path.Join(dir, $".fleet-staging-{Guid.NewGuid():N}");
    }

    /// <summary>Creates a private folder (0700) for kubeadm's configuration in the state folder.</summary>
    public static string NewKubeadmFolder(string stateDir)
    {
        Directory.CreateDirectory(stateDir);
        var folder = Path.Join(stateDir, $".fleet-kubeadm-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return folder;
    }

    /// <summary>Removes what a crash left behind; returns the paths removed. Called once at start, before any step runs.</summary>
    public IReadOnlyList<string> Clean()
    {
        var removed = new List<string>();
        IEnumerable<string> recorded;
        try
        {
            recorded = Recorded();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            AgentLog.LeftoverNotRemoved(logger, RecordPath, ex.Message);
            recorded = [];
        }

        var folders = recorded.Append(paths.StateDir).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var dir in folders.Where(Directory.Exists))
        {
            FileSystemInfo[] entries;
            try
            {
                entries = new DirectoryInfo(dir).GetFileSystemInfos();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                AgentLog.LeftoverNotRemoved(logger, dir, ex.Message); // a folder it cannot read: the agent still starts
                continue;
            }

            foreach (var entry in entries)
            {
                if (!Leftover().IsMatch(entry.Name) || (entry.Name.StartsWith(".fleet-kubeadm-", StringComparison.Ordinal) && dir != paths.StateDir))
                {
                    continue;
                }

                try
                {
                    if (entry is DirectoryInfo folder && folder.LinkTarget is null)
                    {
                        folder.Delete(recursive: true); // links inside are removed, not followed
                    }
                    else
                    {
                        File.Delete(entry.FullName); // a file, or a link (to whatever): the link goes
                    }

                    removed.Add(entry.FullName);
                    AgentLog.LeftoverRemoved(logger, entry.FullName);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    AgentLog.LeftoverNotRemoved(logger, entry.FullName, ex.Message);
                }
            }
        }

        return removed;
    }

    private void Record(string dir)
    {
        var full = Path.GetFullPath(dir);
        lock (_gate)
        {
            var recorded = Recorded();
            if (!recorded.Add(full))
            {
                return;
            }

            Directory.CreateDirectory(paths.StateDir);
            using var file = new FileStream(RecordPath, FileMode.Append, FileAccess.Write, FileShare.Read);
            file.Write(System.Text.Encoding.UTF8.GetBytes(full + "\n"));
            file.Flush(flushToDisk: true);
        }
    }

    private HashSet<string> Recorded()
    {
        lock (_gate)
        {
            // Only absolute paths are taken from the record: a torn or edited line names nothing.
            return _recorded ??= File.Exists(RecordPath)
                ? File.ReadAllLines(RecordPath).Where(Path.IsPathFullyQualified).ToHashSet(StringComparer.Ordinal)
                : new HashSet<string>(StringComparer.Ordinal);
        }
    }

    /// <summary>Exactly `.fleet-HEX.part`, `.fleet-staging-HEX` or `.fleet-kubeadm-HEX`.</summary>
    [GeneratedRegex(@"^(\.fleet-[0-9a-f]{32}\.part|\.fleet-staging-[0-9a-f]{32}|\.fleet-kubeadm-[0-9a-f]{32})\z")]
    private static partial Regex Leftover();
}

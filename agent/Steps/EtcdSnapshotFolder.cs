using System.Globalization;
using System.Text.RegularExpressions;

namespace Fleet.Agent.Steps;

/// <summary>
/// The folder etcd snapshots are kept in: a real folder (never a link), owned by the agent's own user
/// (root on a node), mode 0700 (a snapshot holds every Secret of the cluster), created so or refused. Snapshots are named
/// etcd-snapshot-UTCyyyyMMddTHHmmssZ-ROLLOUT.db, each with NAME.sha256 beside it (sha256sum's format);
/// only names of that shape are ever pruned.
/// </summary>
internal static partial class EtcdSnapshotFolder
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the folder 0700 (and its parents), or checks an existing one: a real folder, the agent's, 0700.</summary>
    public static void Prepare(string dir)
    {
        var info = new DirectoryInfo(dir);
        if (info.LinkTarget is not null)
        {
            throw Refuse($"dir: {dir} is a symbolic link (to {info.LinkTarget}); snapshots go into a real folder only");
        }

        if (File.Exists(dir))
        {
            throw Refuse($"dir: {dir} is a file, not a folder");
        }

        if (!info.Exists)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
            Directory.CreateDirectory(dir, Private);
        }

        var owner = FileOwner.Of(dir);
        if (owner != FileOwner.Self)
        {
            throw Refuse($"dir: {dir} is owned by uid {owner}, not by the agent's user (uid {FileOwner.Self}): another user could read or replace the snapshots");
        }

        // An existing folder is checked, never changed: a step naming /etc must not make /etc private.
        if (File.GetUnixFileMode(dir) is var mode && (mode & ~Private) != 0)
        {
            throw Refuse($"dir: {dir} is mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}: group or others may enter it, and a snapshot holds every Secret of the cluster (chmod 700 it, or name a folder of its own)");
        }
    }

    /// <summary>The snapshot's file name; <paramref name="rolloutId"/> "" is a `fleetctl run` ("run").</summary>
    public static string FileName(DateTimeOffset now, string rolloutId) =>
        $"etcd-snapshot-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-{(rolloutId.Length == 0 ? "run" : rolloutId)}.db";

    /// <summary>The problem with a rollout id as part of a file name, or null.</summary>
    public static string? RolloutIdProblem(string rolloutId) =>
        rolloutId.Length == 0 || RolloutIdPattern().IsMatch(rolloutId) ? null
        : $"rollout_id: \"{(rolloutId.Length <= 80 ? rolloutId : rolloutId[..80] + "…")}\" is not a rollout id (letters, digits, '-' and '_', at most 64)";

    /// <summary>Keeps the newest <paramref name="keep"/> snapshots (by the time in their names); removes the others
    /// and their .sha256, and a .sha256 whose snapshot is gone. Links and other names are never touched. Returns the names removed.</summary>
    public static IReadOnlyList<string> Prune(string dir, int keep)
    {
        var snapshots = new DirectoryInfo(dir).GetFiles()
            .Where(f => f.LinkTarget is null && SnapshotName().IsMatch(f.Name))
            .OrderByDescending(f => SnapshotName().Match(f.Name).Groups["time"].Value, StringComparer.Ordinal)
            .ThenByDescending(f => f.LastWriteTimeUtc)
            .ThenByDescending(f => f.Name, StringComparer.Ordinal)
            .ToList();
        var removed = new List<string>();
        foreach (var old in snapshots.Skip(keep))
        {
            old.Delete();
            removed.Add(old.Name);
        }

        var kept = snapshots.Take(keep).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var sum in new DirectoryInfo(dir).GetFiles("*.sha256").Where(f => f.LinkTarget is null && SnapshotName().IsMatch(f.Name[..^".sha256".Length])))
        {
            if (!kept.Contains(sum.Name[..^".sha256".Length]))
            {
                sum.Delete();
            }
        }

        return removed;
    }

    private static StepFailedException Refuse(string problem) => new($"refusing to take an etcd snapshot: {problem}");

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9_\-]{0,63}\z")]
    private static partial Regex RolloutIdPattern();

    [GeneratedRegex(@"\Aetcd-snapshot-(?<time>[0-9]{8}T[0-9]{6}Z)-[A-Za-z0-9][A-Za-z0-9_\-]{0,63}\.db\z")]
    private static partial Regex SnapshotName();
}

using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Steps.Previous;

/// <summary>
/// Every file the agent installs over another goes through <see cref="ReplaceAsync"/>, which keeps the
/// old one as DIR/.fleet-previous/NAME (same file system, so restoring is a rename; a hidden folder, so
/// the CNI runtime never takes it for a plugin), journals the replace and renames the new file in.
/// The order makes a kill -9 at any instant leave a node that can be restored:
/// 1. the replace is journaled and flushed (rollout, path, previous and new sha256 and versions);
/// 2. the old file is kept: a hard link to its inode (free and atomic: the new file arrives by
///    rename, so that inode is never written again; a flushed copy where hard links are not
///    supported), its folder flushed;
/// 3. the new file is renamed over the old one, its folder flushed.
/// Killed after 1 or 2, the file is still the previous one: a restore leaves it, and the step run
/// again keeps it again (the journal says the replace of the first hop never landed when the file is
/// still at its previous sha256).
/// Rules: the first replace of a path within a rollout keeps (a later hop of the same rollout leaves
/// that copy, so undoing the rollout goes back to what the node had before it); a replace under
/// another rollout overwrites the kept copy (one generation); a path with no file before records
/// previous sha256 "" (restoring removes what Fleet added); a file already at the new sha256 is
/// not a replace and keeps nothing. The rollout is <see cref="StepRequest.RolloutId"/>, or the step's
/// own id for a step sent outside a rollout.
/// </summary>
public sealed class PreviousFiles(StepJournal journal, HostPaths paths) : IDisposable
{
    /// <summary>The folder beside each replaced file that holds its previous version.</summary>
    public const string FolderName = ".fleet-previous";

    private readonly SemaphoreSlim _gate = new(1, 1);

    public void Dispose() => _gate.Dispose();

    /// <summary>The rollout a step's replaces are recorded under.</summary>
    public static string RolloutOf(StepRequest request) => request.RolloutId.Length > 0 ? request.RolloutId : request.Id;

    /// <summary>The kept copy of a (real) path: DIR/.fleet-previous/NAME.</summary>
    public static string KeptPath(string path) => Path.Join(Path.GetDirectoryName(path), FolderName, Path.GetFileName(path));

    /// <summary>
    /// Installs <paramref name="newFile"/> (a verified file in the destination's folder, with its mode
    /// set) at <paramref name="nodePath"/>, keeping and journaling what it replaces.
    /// </summary>
    public async Task ReplaceAsync(StepRequest request, string nodePath, string newFile, string newSha256, string component, string version, CancellationToken ct)
    {
        nodePath = Path.GetFullPath(nodePath); // "/usr/local/bin/./kubectl" is recorded as the path it is
        var dest = paths.Resolve(nodePath);
        var dir = Path.GetDirectoryName(dest)!;
        var keptDir = Path.Join(dir, FolderName);
        await _gate.WaitAsync(ct);
        try
        {
            await ReplaceLockedAsync(request, nodePath, newFile, newSha256, component, version, dest, dir, keptDir, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Runs a restore with no replace in between: a replace and a restore of the same path at once would
    /// leave the journal and the files out of step.
    /// </summary>
    public async Task<T> ExclusiveAsync<T>(Func<Task<T>> restore, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            return await restore();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ReplaceLockedAsync(StepRequest request, string nodePath, string newFile, string newSha256, string component, string version, string dest, string dir, string keptDir, CancellationToken ct)
    {
        RequireFolderOrNothing(keptDir, nodePath);
        var current = File.Exists(dest) ? await Sha256Hex.OfFileAsync(dest, ct) : "";
        if (current == newSha256)
        {
            Install(newFile, dest, dir); // no replace: the same bytes (the mode may differ)
            return;
        }

        var rollout = RolloutOf(request);
        var last = journal.Replaces.Find(nodePath);
        string previous, previousVersion;
        bool keep;
        if (last is { Restored: false } && last.Replace.Rollout == rollout)
        {
            // A later hop of the same rollout: the first hop's copy stays. Unless the first hop's
            // rename never happened (killed in between): the file is still the previous one, keep it.
            (previous, previousVersion) = (last.Replace.PreviousSha256, last.Replace.PreviousVersion);
            keep = current.Length > 0 && current == previous;
        }
        else
        {
            (previous, previousVersion) = (current, VersionOf(last, current));
            keep = current.Length > 0;
        }

        journal.Record(new ReplaceRecord(rollout, nodePath, previous, previousVersion, newSha256, component, version, request.Id));
        if (keep)
        {
            Keep(dest, keptDir);
        }
        else if (previous.Length == 0)
        {
            RemoveStaleCopy(keptDir, KeptPath(dest)); // an older generation's copy of a file that is gone: one generation
        }

        Install(newFile, dest, dir);
    }

    /// <summary>The version Fleet installed the current file as, when the journal knows it.</summary>
    private static string VersionOf(KeptFile? last, string current) => last switch
    {
        { Restored: false } when last.Replace.Sha256 == current => last.Replace.Version,
        { Restored: true } when last.Replace.PreviousSha256 == current => last.Replace.PreviousVersion,
        _ => "",
    };

    /// <summary>DIR/.fleet-previous must be a real folder (or not yet exist): through a link the copy would land wherever it leads.</summary>
    internal static void RequireFolderOrNothing(string keptDir, string nodePath)
    {
        var info = new DirectoryInfo(keptDir);
        var shown = $"{Path.GetDirectoryName(nodePath)}/{FolderName}";
        if (info.LinkTarget is not null)
        {
            throw new StepFailedException($"{shown} is a symbolic link, not a folder: refusing to keep or restore {nodePath} through it");
        }

        if (File.Exists(keptDir))
        {
            throw new StepFailedException($"{shown} is a file, not a folder: refusing to keep or restore {nodePath} there");
        }
    }

    private static void Keep(string dest, string keptDir)
    {
        Directory.CreateDirectory(keptDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var kept = KeptPath(dest);
        RemoveStaleCopy(keptDir, kept);
        DurableFiles.LinkOrCopy(dest, kept);
        DurableFiles.SyncFolder(keptDir);
    }

    private static void RemoveStaleCopy(string keptDir, string kept)
    {
        if (File.Exists(kept) || new FileInfo(kept).LinkTarget is not null)
        {
            File.Delete(kept); // a link is removed as the link
            DurableFiles.SyncFolder(keptDir);
        }
    }

    private static void Install(string newFile, string dest, string dir)
    {
        DurableFiles.Rename(newFile, dest);
        DurableFiles.SyncFolder(dir);
    }
}

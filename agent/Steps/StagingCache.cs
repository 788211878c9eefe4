using Fleet.Agent.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Steps;

/// <summary>
/// Where a prefetch stages a node's artifacts before anything on the node is disrupted:
/// STATE_DIR/prefetch, a folder only root can enter (0700), one file per artifact named by its
/// sha256. The cache is a file on disk, so nothing read from it is trusted: an entry is hashed again
/// when it is taken (after it has been moved out of the cache, so what was hashed is what gets
/// installed), a link is never followed (a link or anything but a plain file of an entry's name is
/// removed, as the link), and the folder itself must be a real folder. An entry is consumed by the
/// install that takes it; what a rollout that stopped early left behind is removed at start once
/// older than <see cref="StagingCacheOptions.MaxAge"/>.
/// </summary>
public sealed partial class StagingCache(HostPaths paths, LeftoverFiles leftovers, StagingCacheOptions options, TimeProvider time, ILogger<StagingCache> logger)
{
    public const string FolderName = "prefetch";

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The cache folder (real path).</summary>
    public string Dir => Path.Join(paths.StateDir, FolderName);

    /// <summary>Creates the folder (0700), or resets an existing one to 0700; refuses a link or a file in its place.</summary>
    public string EnsureDir()
    {
        var info = new DirectoryInfo(Dir);
        if (info.LinkTarget is not null || File.Exists(Dir))
        {
            throw new StepFailedException($"{Dir} is a {(info.LinkTarget is not null ? "symbolic link" : "file")}, not a folder: refusing to stage artifacts there");
        }

        Directory.CreateDirectory(paths.StateDir);
        Directory.CreateDirectory(Dir, Private);
        if (File.GetUnixFileMode(Dir) != Private)
        {
            File.SetUnixFileMode(Dir, Private);
        }

        return Dir;
    }

    /// <summary>The real path of the entry for <paramref name="sha256"/> (64 lowercase hex: never a path of its own).</summary>
    public string EntryPath(string sha256) => Sha256Text.IsValid(sha256)
        ? Path.Join(Dir, sha256)
        : throw new StepFailedException($"\"{sha256}\" is not 64 lowercase hex characters");

    /// <summary>
    /// Whether a verified entry for <paramref name="sha256"/> is staged. An entry that is a link or
    /// not a plain file, or whose bytes no longer hash to its name, is removed and reported absent.
    /// </summary>
    public async Task<bool> HasVerifiedAsync(string sha256, StepProgress progress, CancellationToken ct)
    {
        var entry = EntryPath(sha256);
        if (!IsRealFolder(Dir) || !Exists(entry))
        {
            return false;
        }

        var problem = Problem(entry) ?? await HashProblemAsync(entry, sha256, ct);
        if (problem is not null)
        {
            Discard(entry, sha256, problem, progress);
            return false;
        }

        return true;
    }

    /// <summary>Makes a verified file in <see cref="Dir"/> the entry for <paramref name="sha256"/> (a rename in one folder).</summary>
    public void Commit(string verifiedTemp, string sha256)
    {
        var entry = EntryPath(sha256);
        if (Path.GetDirectoryName(verifiedTemp) != Dir)
        {
            throw new ArgumentException($"{verifiedTemp} is not in {Dir}", nameof(verifiedTemp));
        }

        File.Move(verifiedTemp, entry, overwrite: true);
    }

    /// <summary>
    /// Moves the entry for <paramref name="sha256"/> out of the cache into a new temporary file in
    /// <paramref name="destDir"/> (a rename; across file systems a copy, flushed to disk, then the entry
    /// removed) and hashes it there. Returns that file, which the caller renames into place or deletes;
    /// or null when no entry is staged, or when it was not a plain file or its bytes changed since it
    /// was staged: it is then removed, said in the step's log, and never installed.
    /// </summary>
    public async Task<string?> TakeAsync(string sha256, string destDir, StepProgress progress, CancellationToken ct)
    {
        if (!Sha256Text.IsValid(sha256))
        {
            return null; // never an entry; the download that follows names the problem
        }

        var entry = EntryPath(sha256);
        if (!IsRealFolder(Dir) || !Exists(entry))
        {
            return null;
        }

        if (Problem(entry) is { } notAFile)
        {
            Discard(entry, sha256, notAFile, progress);
            return null;
        }

        Directory.CreateDirectory(destDir);
        var temp = leftovers.NewPartFile(destDir);
        try
        {
            if (!Rename.TrySameFileSystem(entry, temp))
            {
                await CopyFlushedAsync(entry, temp, ct);
                File.Delete(entry);
            }

            // Checked again after the move: what is hashed here is what the caller installs.
            var problem = Problem(temp) ?? await HashProblemAsync(temp, sha256, ct);
            if (problem is not null)
            {
                Discard(temp, sha256, problem, progress);
                return null;
            }
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        progress.Log($"took {sha256} from the staging cache");
        return temp;
    }

    /// <summary>Removes the entry for <paramref name="sha256"/> if there is one (e.g. its file was already in place).</summary>
    public void Remove(string sha256)
    {
        if (Sha256Text.IsValid(sha256) && IsRealFolder(Dir) && Exists(EntryPath(sha256)))
        {
            File.Delete(EntryPath(sha256)); // a link is removed as the link
        }
    }

    /// <summary>Bytes free for the cache's file system.</summary>
    public long AvailableBytes() => new DriveInfo(Dir).AvailableFreeSpace;

    /// <summary>
    /// At start: removes entries older than <see cref="StagingCacheOptions.MaxAge"/>, and anything in the
    /// folder that is neither an entry nor a download in progress (links removed as links); returns what it removed.
    /// </summary>
    public IReadOnlyList<string> Clean()
    {
        var removed = new List<string>();
        if (!IsRealFolder(Dir))
        {
            return removed;
        }

        var now = time.GetUtcNow();
        foreach (var item in new DirectoryInfo(Dir).GetFileSystemInfos())
        {
            var isEntry = Sha256Text.IsValid(item.Name) && item is FileInfo && item.LinkTarget is null;
            var isPart = item.Name.StartsWith(".fleet-", StringComparison.Ordinal) && item.Name.EndsWith(".part", StringComparison.Ordinal);
            if ((isEntry && now - item.LastWriteTimeUtc <= options.MaxAge) || (isPart && item.LinkTarget is null))
            {
                continue; // a fresh entry; a .part file is LeftoverFiles' to remove
            }

            try
            {
                if (item is DirectoryInfo folder && folder.LinkTarget is null)
                {
                    folder.Delete(recursive: true);
                }
                else
                {
                    File.Delete(item.FullName);
                }

                removed.Add(item.FullName);
                LogRemoved(logger, item.FullName, isEntry ? "older than " + options.MaxAge : "not a staged artifact");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogNotRemoved(logger, item.FullName, ex.Message);
            }
        }

        return removed;
    }

    private static bool IsRealFolder(string dir) => Directory.Exists(dir) && new DirectoryInfo(dir).LinkTarget is null;

    /// <summary>Exists as anything, a dangling link included (File.Exists follows links).</summary>
    private static bool Exists(string path) => new FileInfo(path) is { } info && (info.Exists || info.LinkTarget is not null || Directory.Exists(path));

    /// <summary>Why this path is not a plain file, or null.</summary>
    private static string? Problem(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is not null ? "it is a symbolic link"
            : Directory.Exists(path) ? "it is a folder"
            : !info.Exists ? "it is gone"
            : (info.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) != 0 ? "it is not a plain file"
            : null;
    }

    private static async Task<string?> HashProblemAsync(string path, string sha256, CancellationToken ct) =>
        await Sha256Hex.OfFileAsync(path, ct) is var actual && actual != sha256 ? $"its bytes hash to {actual}, not {sha256}" : null;

    private void Discard(string path, string sha256, string why, StepProgress progress)
    {
        if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
        {
            Directory.Delete(path, recursive: true);
        }
        else
        {
            File.Delete(path);
        }

        progress.Log($"the staged copy of {sha256} is not usable ({why}): removed it, never installed");
        LogDiscarded(logger, sha256, why);
    }

    private static async Task CopyFlushedAsync(string from, string to, CancellationToken ct)
    {
        await using (var source = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
        await using (var target = new FileStream(to, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await source.CopyToAsync(target, ct);
            await target.FlushAsync(ct);
            target.Flush(flushToDisk: true);
        }
    }

    [LoggerMessage(EventId = 140, Level = LogLevel.Warning, Message = "The staged copy of {Sha256} is not usable ({Why}): removed it")]
    private static partial void LogDiscarded(ILogger logger, string sha256, string why);

    [LoggerMessage(EventId = 141, Level = LogLevel.Information, Message = "Removed {Path} from the staging cache ({Why})")]
    private static partial void LogRemoved(ILogger logger, string path, string why);

    [LoggerMessage(EventId = 142, Level = LogLevel.Warning, Message = "Could not remove {Path} from the staging cache: {Reason}")]
    private static partial void LogNotRemoved(ILogger logger, string path, string reason);
}

using System.Runtime.InteropServices;

namespace Fleet.Agent.Steps.Previous;

/// <summary>
/// link(2), rename(2) and fsync(2) of a folder: what keeping and restoring a file needs to be atomic
/// and on disk before the next step. .NET has no hard link and cannot open a folder to flush it.
/// </summary>
internal static partial class DurableFiles
{
    // The same numbers on x86-64, arm64 and arm (O_DIRECTORY is not: a folder opens read-only without it).
    private const int O_RDONLY = 0;
    private const int O_CLOEXEC = 0x80000;
    private const int EXDEV = 18;
    private const int EPERM = 1;
    private const int EOPNOTSUPP = 95;
    private const int EMLINK = 31;

    /// <summary>
    /// Makes <paramref name="keep"/> the same inode as <paramref name="existing"/> (free, and atomic:
    /// the new file arrives by rename, so the old inode is never written again). Where the file system
    /// has no hard links, a copy flushed to disk instead.
    /// </summary>
    public static void LinkOrCopy(string existing, string keep)
    {
        if (link(existing, keep) == 0)
        {
            return;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is not (EXDEV or EPERM or EOPNOTSUPP or EMLINK))
        {
            throw new IOException($"cannot keep {existing} as {keep}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        using (var source = new FileStream(existing, FileMode.Open, FileAccess.Read, FileShare.Read))
        using (var target = new FileStream(keep, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = File.GetUnixFileMode(existing) }))
        {
            source.CopyTo(target);
            target.Flush(flushToDisk: true);
        }
    }

    /// <summary>rename(2): <paramref name="from"/> (a link is moved as the link) replaces <paramref name="to"/> atomically.</summary>
    public static void Rename(string from, string to)
    {
        if (!Steps.Rename.TrySameFileSystem(from, to))
        {
            throw new IOException($"cannot rename {from} to {to}: they are on different file systems");
        }
    }

    /// <summary>Flushes a folder's entries (a rename, a link, an unlink in it) to disk.</summary>
    public static void SyncFolder(string dir)
    {
        var fd = open(dir, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"cannot open {dir} to flush it: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                throw new IOException($"cannot flush {dir}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldpath, string newpath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}

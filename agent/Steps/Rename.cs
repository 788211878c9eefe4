using System.Runtime.InteropServices;

namespace Fleet.Agent.Steps;

/// <summary>
/// rename(2) itself. File.Move falls back to copy-and-delete when the two paths are on different
/// file systems, without flushing the copy to disk; the staging cache needs to know, to do that
/// copy itself (temporary file, fsync, then rename).
/// </summary>
internal static partial class Rename
{
    private const int EXDEV = 18;

    /// <summary>Renames <paramref name="from"/> (a link is renamed as the link) to <paramref name="to"/>; false when they are on different file systems.</summary>
    public static bool TrySameFileSystem(string from, string to)
    {
        if (rename(from, to) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == EXDEV
            ? false
            : throw new IOException($"cannot rename {from} to {to}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string oldpath, string newpath);
}

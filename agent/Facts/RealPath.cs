using System.Runtime.InteropServices;

namespace Fleet.Agent.Facts;

/// <summary>realpath(3): a path with every link resolved, in every component (.NET resolves only the last one).</summary>
internal static partial class RealPath
{
    /// <summary>The resolved path, or null when some part of it does not exist or cannot be read.</summary>
    public static string? Of(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);
}

using System.Runtime.InteropServices;

namespace Fleet.Coordinator.Hosting;

/// <summary>
/// The type of a file system entry, not following a final link (.NET says whether a path is a folder
/// or a link, not whether it is a socket). Read with statx(2), whose struct has one layout on every
/// architecture (stx_mode: 16 bits at byte 28).
/// </summary>
public static partial class UnixFileType
{
    public const int None = 0;
    public const int Fifo = 0x1000;
    public const int CharacterDevice = 0x2000;
    public const int Directory = 0x4000;
    public const int BlockDevice = 0x6000;
    public const int Regular = 0x8000;
    public const int SymbolicLink = 0xA000;
    public const int Socket = 0xC000;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int NoSuchFile = 2; // ENOENT
    private const int NotADirectory = 20; // ENOTDIR

    /// <summary>The S_IFMT bits of the entry at <paramref name="path"/>, or <see cref="None"/> when there is none.</summary>
    public static int Of(string path)
    {
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is NoSuchFile or NotADirectory ? None : throw new IOException($"cannot stat {path}: errno {errno}");
        }

        return BitConverter.ToUInt16(buffer, 28) & 0xF000;
    }

    public static string Describe(int type) => type switch
    {
        Regular => "regular file",
        Directory => "folder",
        SymbolicLink => "symbolic link",
        Socket => "socket",
        Fifo => "FIFO",
        CharacterDevice => "character device",
        BlockDevice => "block device",
        _ => $"file of type 0x{type:x}",
    };

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);
}

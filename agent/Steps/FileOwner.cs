using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Fleet.Agent.Steps;

/// <summary>
/// Who owns a path, read with statx(2) without following a link (its struct has one layout on every
/// architecture, unlike stat's), and the agent's own effective user id. .NET reads modes, not owners.
/// </summary>
internal static partial class FileOwner
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int UidOffset = 20;

    /// <summary>The owner's uid of <paramref name="path"/> (a link's own, not its target's).</summary>
    public static uint Of(string path)
    {
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            throw new IOException($"cannot read the owner of {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        return BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(UidOffset))
            : BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(UidOffset));
    }

    /// <summary>The agent's effective uid: 0 on a node.</summary>
    public static uint Self => geteuid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string pathname, int flags, uint mask, byte[] statxbuf);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}

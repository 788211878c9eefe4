using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Fleet.Coordinator.Hosting;

/// <summary>
/// The control API's unix socket file: cleared of a stale leftover before binding, locked down after
/// (0660, and group <see cref="GroupName"/> when that group exists, so its members may use fleetctl).
/// </summary>
public static partial class ControlSocket
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
    public const string GroupName = "fleet";

    /// <summary>
    /// Creates the folder and removes a socket file no process listens on; refuses one that is in use,
    /// and anything at that path that is not a socket (a regular file, a folder, a link): a wrong
    /// --socket must never cost a file (--socket /etc/passwd).
    /// </summary>
    public static void Prepare(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var type = UnixFileType.Of(path);
        if (type == UnixFileType.None)
        {
            return;
        }

        if (type != UnixFileType.Socket)
        {
            throw new InvalidOperationException($"--socket {path}: there is a {UnixFileType.Describe(type)} at that path, not a socket; refusing to remove it (choose another path, or remove it yourself)");
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new InvalidOperationException($"the control socket {path} is in use: is another fleet-coordinator running? (--socket)");
            }
            catch (SocketException)
            {
                // Nobody listens: a leftover of a coordinator that did not stop cleanly.
            }
        }

        File.Delete(path);
    }

    /// <summary>Owner and group may connect, nobody else (0660); the group is `fleet` when it exists.</summary>
    public static void Secure(string path, string groupFile = "/etc/group")
    {
        File.SetUnixFileMode(path, Mode);
        if (File.Exists(groupFile) && GroupId(File.ReadLines(groupFile), GroupName) is { } gid && chown(path, -1, gid) != 0)
        {
            throw new IOException($"cannot give {path} to group {GroupName} (gid {gid}): errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The id of a group in /etc/group lines (name:password:gid:members), or null when it is not there.</summary>
    public static int? GroupId(IEnumerable<string> groupLines, string name)
    {
        foreach (var line in groupLines)
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == name && int.TryParse(fields[2], out var gid))
            {
                return gid;
            }
        }

        return null;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, int owner, int group);
}

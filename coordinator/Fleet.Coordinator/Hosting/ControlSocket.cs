using System.Net.Sockets;

namespace Fleet.Coordinator.Hosting;

/// <summary>The control API's unix socket file: cleared of a stale leftover before binding, locked down after.</summary>
public static class ControlSocket
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>Creates the folder and removes a socket file no process listens on; refuses one that is in use.</summary>
    public static void Prepare(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path))
        {
            return;
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

    /// <summary>Owner and group may connect, nobody else (0660).</summary>
    public static void Secure(string path) => File.SetUnixFileMode(path, Mode);
}

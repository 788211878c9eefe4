using System.Net.Sockets;
using System.Text;

namespace Fleet.Agent.Hosting;

/// <summary>
/// The datagram socket systemd listens on for a Type=notify service (sd_notify(3)): the path in
/// NOTIFY_SOCKET, a leading '@' meaning the abstract namespace. Disabled when there is no path.
/// </summary>
public sealed class SystemdNotifySocket(string? path)
{
    public const string Variable = "NOTIFY_SOCKET";

    public bool IsEnabled => !string.IsNullOrEmpty(path);

    /// <summary>Sends one datagram of newline-separated assignments, e.g. "READY=1\nSTATUS=...".</summary>
    /// <exception cref="SocketException">systemd's socket is gone or refuses the message.</exception>
    public void Send(string assignments)
    {
        if (!IsEnabled)
        {
            return;
        }

        var address = path![0] == '@' ? "\0" + path[1..] : path;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(address));
        socket.Send(Encoding.UTF8.GetBytes(assignments));
    }
}

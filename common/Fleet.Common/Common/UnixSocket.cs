using System.Net.Sockets;

namespace Fleet;

/// <summary>HTTP over a unix socket: the control API's transport for fleetctl, the tests and the benchmarks.</summary>
public static class UnixSocket
{
    /// <summary>A SocketsHttpHandler.ConnectCallback that connects every request to <paramref name="path"/>.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connect(string path) => async (_, ct) =>
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    };
}

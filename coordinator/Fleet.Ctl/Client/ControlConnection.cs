using System.Net.Sockets;
using Fleet.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fleet.Ctl.Client;

/// <summary>fleetctl's way to the coordinator: gRPC over the control unix socket.</summary>
public sealed class ControlConnection : IDisposable
{
    public const string DefaultSocket = "/run/fleet/control.sock";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    private readonly GrpcChannel _channel;

    public ControlConnection(string socketPath)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
        Client = new ControlService.ControlServiceClient(_channel);
    }

    public string SocketPath { get; }

    public ControlService.ControlServiceClient Client { get; }

    public static DateTime Deadline => DateTime.UtcNow + CallTimeout;

    /// <summary>Turns a failed call into one sentence for the operator: what was tried and what to check.</summary>
    public string Explain(RpcException ex)
    {
        if (ex.StatusCode != StatusCode.Unavailable)
        {
            return ex.StatusCode == StatusCode.DeadlineExceeded
                ? $"the coordinator at {SocketPath} did not answer within {CallTimeout.TotalSeconds:0} s"
                : ex.Status.Detail;
        }

        var socketError = (ex.Status.DebugException as Exception ?? ex).FindSocketError();
        var reason = !File.Exists(SocketPath) ? "no such file"
            : socketError == SocketError.ConnectionRefused ? "connection refused (nothing listens on it)"
            : socketError == SocketError.AccessDenied ? "permission denied (fleetctl needs root or the fleet group)"
            : ex.Status.Detail;
        return $"cannot reach the coordinator at {SocketPath}: {reason} (is fleet-coordinator running? --socket)";
    }

    public void Dispose() => _channel.Dispose();
}

internal static class ExceptionExtensions
{
    public static SocketError? FindSocketError(this Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException se)
            {
                return se.SocketErrorCode;
            }
        }

        return null;
    }
}

using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Fleet.Security;
using Fleet.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fleet.Ctl.Client;

/// <summary>
/// fleetctl's way to the coordinator: gRPC over the control unix socket (root or the fleet group),
/// or over TCP with TLS, presenting an admin client certificate and trusting only the Fleet CA.
/// </summary>
public sealed class ControlConnection : IDisposable
{
    public const string DefaultSocket = "/run/fleet/control.sock";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    private readonly GrpcChannel _channel;
    private readonly string? _socketPath;

    private ControlConnection(GrpcChannel channel, string target, string? socketPath)
    {
        _channel = channel;
        Target = target;
        _socketPath = socketPath;
        Client = new ControlService.ControlServiceClient(_channel);
    }

    /// <summary>Where the calls go, for messages: the socket path or the server URL.</summary>
    public string Target { get; }

    public ControlService.ControlServiceClient Client { get; }

    public static DateTime Deadline => DateTime.UtcNow + CallTimeout;

    public static ControlConnection OverSocket(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = UnixSocket.Connect(socketPath),
        };
        return new ControlConnection(GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler }), socketPath, socketPath);
    }

    /// <summary>TCP with TLS: the admin certificate and key from files, the server checked against the CA file only.</summary>
    public static ControlConnection OverTls(Uri server, string certificatePath, string keyPath, string caPath)
    {
        X509Certificate2 client, ca;
        try
        {
            using var key = PemFiles.ReadKey(keyPath);
            using var certificate = PemFiles.ReadCertificate(certificatePath);
            client = certificate.CopyWithPrivateKey(key);
            ca = PemFiles.ReadCertificate(caPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new UsageException($"cannot read the admin credentials ({certificatePath}, {keyPath}, {caPath}): {ex.Message}");
        }

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            SslOptions =
            {
                ClientCertificates = new X509CertificateCollection { client },
            },
        };
        FleetCaTrust.TrustOnly(handler.SslOptions, ca);
        return new ControlConnection(GrpcChannel.ForAddress(server, new GrpcChannelOptions { HttpHandler = handler }), server.ToString(), null);
    }

    /// <summary>Turns a failed call into one sentence for the operator: what was tried and what to check.</summary>
    public string Explain(RpcException ex)
    {
        if (_socketPath is null)
        {
            return ExplainTls(ex);
        }

        if (ex.StatusCode != StatusCode.Unavailable)
        {
            return ex.StatusCode == StatusCode.DeadlineExceeded
                ? $"the coordinator at {Target} did not answer within {CallTimeout.TotalSeconds:0} s"
                : ex.Status.Detail;
        }

        var socketError = (ex.Status.DebugException as Exception ?? ex).FindSocketError();
        var reason = !File.Exists(_socketPath) ? "no such file"
            : socketError == SocketError.ConnectionRefused ? "connection refused (nothing listens on it)"
            : socketError == SocketError.AccessDenied ? "permission denied (fleetctl needs root or the fleet group)"
            : ex.Status.Detail;
        return $"cannot reach the coordinator at {_socketPath}: {reason} (is fleet-coordinator running? --socket)";
    }

    /// <summary>
    /// Over TCP a refused client certificate shows as the connection failing, during the handshake or
    /// (TLS 1.3) at the first request: both are "cannot reach", with what to check.
    /// </summary>
    private string ExplainTls(RpcException ex)
    {
        if (ex.StatusCode == StatusCode.DeadlineExceeded)
        {
            return $"the coordinator at {Target} did not answer within {CallTimeout.TotalSeconds:0} s";
        }

        if (ex.Status.DebugException is not (HttpRequestException or IOException or System.Security.Authentication.AuthenticationException))
        {
            return ex.Status.Detail;
        }

        return (ex.Status.DebugException.FindSocketError()) == SocketError.ConnectionRefused
            ? $"cannot reach the coordinator at {Target}: connection refused (is --control-listen set? --server)"
            : $"cannot reach the coordinator at {Target}: the TLS connection failed: {FirstLine(ex.Status.DebugException.GetBaseException().Message)} (is --cert an admin certificate of this coordinator, from `fleetctl admin-cert create`?)";
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd('\r', ' ', '.');

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

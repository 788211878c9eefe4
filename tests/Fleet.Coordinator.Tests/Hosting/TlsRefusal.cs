using Grpc.Core;

namespace Fleet.Coordinator.Tests.Hosting;

/// <summary>
/// A call the server's TLS refused never got a gRPC status from the server: it fails in the transport,
/// during the handshake (Unavailable) or, with TLS 1.3, when the first request meets the server's alert (Internal).
/// </summary>
internal static class TlsRefusal
{
    public static void AssertRefusedByTls(RpcException ex) =>
        Assert.True(
            ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal
                && ex.Status.DebugException is HttpRequestException or IOException or System.Security.Authentication.AuthenticationException,
            $"expected the TLS layer to refuse the call, got {ex.StatusCode}: {ex.Status.Detail} ({ex.Status.DebugException?.GetType().Name})");
}

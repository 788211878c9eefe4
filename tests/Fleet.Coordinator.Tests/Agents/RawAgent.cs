using System.Security.Cryptography.X509Certificates;
using Fleet.Testing;
using Fleet.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>
/// A hand-driven agent stream presenting any client certificate, or none, for saying to the
/// coordinator what a real agent never would: a <see cref="RogueSession"/> on a channel of its own.
/// </summary>
internal sealed class RawAgent : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly RogueSession _session;

    /// <param name="certificate">The client certificate the connection presents; null for none.</param>
    public RawAgent(TestCoordinator coordinator, X509Certificate2? certificate)
    {
        _channel = TestTls.Channel(coordinator.AgentUri, coordinator.CaCertificate, certificate);
        _session = new RogueSession(new AgentService.AgentServiceClient(_channel).Connect());
    }

    public AsyncDuplexStreamingCall<AgentMessage, CoordinatorMessage> Call => _session.Call;

    public static Hello Hello(string name, Arch arch = Arch.Amd64) => RogueAgent.Hello(name, arch);

    public Task SendAsync(Hello hello) => _session.SendAsync(hello);

    public Task SendAsync(Heartbeat beat) => _session.SendAsync(beat);

    /// <summary>The next message from the coordinator, or the status the stream ended with.</summary>
    public Task<CoordinatorMessage> ReadAsync() => _session.ReadAsync();

    public Task<RpcException> ReadUntilFailureAsync() => _session.ReadUntilFailureAsync();

    public void Dispose()
    {
        _session.Dispose();
        _channel.Dispose();
    }
}

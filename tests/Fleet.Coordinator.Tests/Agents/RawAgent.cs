using System.Security.Cryptography.X509Certificates;
using Fleet.Testing;
using Fleet.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>A hand-driven agent stream, for saying to the coordinator what a real agent never would.</summary>
internal sealed class RawAgent : IDisposable
{
    private readonly GrpcChannel _channel;

    /// <param name="certificate">The client certificate the connection presents; null for none.</param>
    public RawAgent(TestCoordinator coordinator, X509Certificate2? certificate)
    {
        _channel = TestTls.Channel(coordinator.AgentUri, coordinator.CaCertificate, certificate);
        Call = new AgentService.AgentServiceClient(_channel).Connect();
    }

    public AsyncDuplexStreamingCall<AgentMessage, CoordinatorMessage> Call { get; }

    public static Hello Hello(string name, Arch arch = Arch.Amd64) =>
        new() { Facts = new NodeFacts { NodeName = name, Arch = arch, RawMachine = "x86_64", AgentVersion = "0.1.0-test" } };

    public Task SendAsync(Hello hello) => WriteAsync(new AgentMessage { Hello = hello });

    public Task SendAsync(Heartbeat beat) => WriteAsync(new AgentMessage { Heartbeat = beat });

    /// <summary>
    /// Writes a message. The coordinator may have ended the call already (it refuses an identity
    /// before reading anything): then the write fails with no status of its own, and the call's real
    /// status is what the next read (<see cref="ReadAsync"/>, <see cref="ReadUntilFailureAsync"/>) returns.
    /// </summary>
    private async Task WriteAsync(AgentMessage message)
    {
        try
        {
            await Call.RequestStream.WriteAsync(message);
        }
        catch (RpcException)
        {
            // The call is over; reading says how it ended.
        }
    }

    /// <summary>The next message from the coordinator, or the status the stream ended with.</summary>
    public async Task<CoordinatorMessage> ReadAsync()
    {
        if (!await Call.ResponseStream.MoveNext(CancellationToken.None))
        {
            throw new InvalidOperationException("the coordinator ended the stream with OK");
        }

        return Call.ResponseStream.Current;
    }

    public async Task<RpcException> ReadUntilFailureAsync()
    {
        while (true)
        {
            try
            {
                await ReadAsync();
            }
            catch (RpcException ex)
            {
                return ex;
            }
        }
    }

    public void Dispose()
    {
        Call.Dispose();
        _channel.Dispose();
    }
}

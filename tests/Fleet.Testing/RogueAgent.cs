using System.Security.Cryptography.X509Certificates;
using Fleet.Security;
using Fleet.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Fleet.Testing;

/// <summary>
/// A hostile agent for the hostile-client suite: a real gRPC client over mTLS to a real coordinator,
/// holding a real node certificate that it enrolled through the real Enroll RPC, and sending
/// whatever it is told, in any order — what a stolen join token or a rooted node could send.
/// <code>
/// using var rogue = await RogueAgent.EnrollAsync(coordinator, "pi-1");
/// using var stream = rogue.Connect();
/// await stream.SendAsync(RogueAgent.Hello("pi-1"));
/// var refused = await stream.ReadUntilFailureAsync();
/// </code>
/// </summary>
public sealed class RogueAgent : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly TestCoordinator _coordinator;

    private RogueAgent(TestCoordinator coordinator, string name, X509Certificate2 certificate)
    {
        _coordinator = coordinator;
        Name = name;
        Certificate = certificate;
        _channel = TestTls.Channel(coordinator.AgentUri, coordinator.CaCertificate, certificate);
        Client = new AgentService.AgentServiceClient(_channel);
    }

    /// <summary>The node name it enrolled as (its certificate's CN).</summary>
    public string Name { get; }

    /// <summary>Its node certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The agent API over this node's mTLS channel: RenewCertificate, Enroll, anything.</summary>
    public AgentService.AgentServiceClient Client { get; }

    /// <summary>Enrolls <paramref name="name"/> through the real Enroll RPC (with a new one-use token unless given one).</summary>
    public static async Task<RogueAgent> EnrollAsync(TestCoordinator coordinator, string name, string? token = null) =>
        new(coordinator, name, await coordinator.EnrollAsync(name, token));

    /// <summary>Renews through the real RenewCertificate RPC with a new key: the same node holding its new certificate (the coordinator revokes this one).</summary>
    public async Task<RogueAgent> RenewAsync()
    {
        using var request = SigningRequest.Create(Name);
        var response = await Client.RenewCertificateAsync(new RenewCertificateRequest { Csr = ByteString.CopyFrom(request.Der) }).ResponseAsync.DefaultTimeout();
        return new(_coordinator, Name, request.Join(response.Certificate.ToByteArray()));
    }

    /// <summary>Opens a new Connect stream; nothing is sent until told.</summary>
    public RogueSession Connect() => new(Client.Connect());

    /// <summary>The Hello a real agent would send, for this name.</summary>
    public static Hello Hello(string name, Arch arch = Arch.Amd64) =>
        new() { Facts = new NodeFacts { NodeName = name, Arch = arch, RawMachine = "x86_64", AgentVersion = "0.1.0-rogue" } };

    /// <summary>A heartbeat with one OK check.</summary>
    public static Heartbeat Heartbeat()
    {
        var health = new HealthSample();
        health.Checks.Add(new HealthCheck { Name = "memory", Status = HealthStatus.Ok, Reason = "fine" });
        return new Heartbeat { Health = health, SentAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow) };
    }

    /// <summary>A CSR for a new key, as the RenewCertificate call takes it.</summary>
    public static ByteString Csr(string name)
    {
        using var request = SigningRequest.Create(name);
        return ByteString.CopyFrom(request.Der);
    }

    public void Dispose()
    {
        _channel.Dispose();
        Certificate.Dispose();
    }
}

/// <summary>One Connect stream of a <see cref="RogueAgent"/>: send anything, read what comes back.</summary>
public sealed class RogueSession(AsyncDuplexStreamingCall<AgentMessage, CoordinatorMessage> call) : IDisposable
{
    public AsyncDuplexStreamingCall<AgentMessage, CoordinatorMessage> Call { get; } = call;

    /// <summary>
    /// Sends one message. The coordinator may end the call before a write completes (a refusal sent at
    /// once): the read side then reports that status, as a real agent sees it.
    /// </summary>
    public async Task SendAsync(AgentMessage message) => await TryWriteAsync(message);

    public Task SendAsync(Hello hello) => SendAsync(new AgentMessage { Hello = hello });

    public Task SendAsync(Heartbeat heartbeat) => SendAsync(new AgentMessage { Heartbeat = heartbeat });

    public Task SendAsync(StepUpdate update) => SendAsync(new AgentMessage { StepUpdate = update });

    /// <summary>The next message from the coordinator; throws the RpcException the stream ended with.</summary>
    public async Task<CoordinatorMessage> ReadAsync()
    {
        if (!await Call.ResponseStream.MoveNext(CancellationToken.None))
        {
            throw new InvalidOperationException("the coordinator ended the stream with OK");
        }

        return Call.ResponseStream.Current;
    }

    /// <summary>Reads until the coordinator ends the stream; returns the status it ended with.</summary>
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

    /// <summary>Writes one message; false when the call has already ended (its status is the read side's).</summary>
    private async Task<bool> TryWriteAsync(AgentMessage message)
    {
        try
        {
            await Call.RequestStream.WriteAsync(message);
            return true;
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    /// <summary>Sends messages until the coordinator ends the stream (a write fails); returns how many were written.</summary>
    public async Task<int> FloodAsync(Func<int, AgentMessage> message, int max)
    {
        for (var i = 0; i < max; i++)
        {
            if (!await TryWriteAsync(message(i)))
            {
                return i;
            }
        }

        return max;
    }

    public void Dispose() => Call.Dispose();
}

using System.Threading.Channels;
using Fleet.V1;

namespace Fleet.Coordinator.Agents;

/// <summary>
/// One open Connect stream. Everything sent to the agent goes through <see cref="Outbox"/>, drained
/// by the stream's single writer; <see cref="Closed"/> fires when a newer stream replaces this one
/// or the node is removed.
/// </summary>
public sealed class ConnectedAgent(string nodeId, string nodeName, string peer) : IDisposable
{
    private readonly CancellationTokenSource _replaced = new();

    public string NodeId { get; } = nodeId;

    public string NodeName { get; } = nodeName;

    public string Peer { get; } = peer;

    /// <summary>False while the node waits for `fleetctl nodes approve`: the step dispatcher sends it nothing.</summary>
    public bool Approved { get; set; } = true;

    /// <summary>The serial of the certificate this stream was authenticated with.</summary>
    public string CertificateSerial { get; init; } = "";

    public Channel<CoordinatorMessage> Outbox { get; } = Channel.CreateBounded<CoordinatorMessage>(new BoundedChannelOptions(64) { SingleReader = true });

    public CancellationToken Closed => _replaced.Token;

    /// <summary>Why the coordinator closed the stream, once <see cref="Closed"/> has fired.</summary>
    public Grpc.Core.Status CloseStatus { get; private set; }

    /// <summary>The trailers sent with <see cref="CloseStatus"/> (a removal's <see cref="IdentityRefusal"/>).</summary>
    public Grpc.Core.Metadata CloseTrailers { get; private set; } = [];

    public void Replace() => Close(Grpc.Core.StatusCode.Aborted, "replaced by a newer session of this node");

    /// <summary>Ends the stream from the coordinator's side with this status.</summary>
    public void Close(Grpc.Core.StatusCode code, string reason, Grpc.Core.Metadata? trailers = null)
    {
        CloseStatus = new Grpc.Core.Status(code, reason);
        CloseTrailers = trailers ?? [];
        _replaced.Cancel();
    }

    public void Dispose() => _replaced.Dispose();
}

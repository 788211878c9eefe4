using Grpc.Core;

namespace Fleet.Coordinator.Agents;

/// <summary>Who is on the other end of an agent call, as the connection says; never from a message field.</summary>
public interface INodeIdentityResolver
{
    /// <summary>The node id, or an <see cref="RpcException"/> (Unauthenticated) naming what is missing.</summary>
    string Resolve(ServerCallContext context);
}

/// <summary>
/// Until enrollment issues certificates: the node id the agent generated and keeps in its state
/// folder, sent as the fleet-node-id header. The certificate-based resolver replaces this one.
/// </summary>
public sealed class HeaderNodeIdentityResolver : INodeIdentityResolver
{
    public const string HeaderName = "fleet-node-id";

    public string Resolve(ServerCallContext context)
    {
        var id = context.RequestHeaders.GetValue(HeaderName);
        if (string.IsNullOrEmpty(id))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"no node identity: the {HeaderName} header is missing"));
        }

        if (id.Length != 32 || !id.All(char.IsAsciiHexDigitLower))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"the {HeaderName} header is not a node id (32 lowercase hex characters)"));
        }

        return id;
    }
}

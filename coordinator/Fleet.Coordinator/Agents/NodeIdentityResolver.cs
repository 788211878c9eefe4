using Grpc.Core;

namespace Fleet.Coordinator.Agents;

/// <summary>Who a node is, as its certificate and the store say: the id and name it enrolled with, whether it is approved, and the serial of the certificate it presented.</summary>
public sealed record NodeIdentity(string NodeId, string Name, bool Approved, string CertificateSerial);

/// <summary>Who is on the other end of an agent call, as the connection says; never from a message field.</summary>
public interface INodeIdentityResolver
{
    /// <summary>The node, or an <see cref="RpcException"/> (Unauthenticated or PermissionDenied) naming the problem.</summary>
    Task<NodeIdentity> ResolveAsync(ServerCallContext context);
}

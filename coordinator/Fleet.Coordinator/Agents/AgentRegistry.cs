using System.Collections.Concurrent;

namespace Fleet.Coordinator.Agents;

/// <summary>The agents connected right now, one stream per node: a newer stream replaces the older.</summary>
public sealed class AgentRegistry
{
    private readonly ConcurrentDictionary<string, ConnectedAgent> _agents = new(StringComparer.Ordinal);

    public int Count => _agents.Count;

    public bool IsConnected(string nodeId) => _agents.ContainsKey(nodeId);

    public ConnectedAgent? Find(string nodeId) => _agents.GetValueOrDefault(nodeId);

    /// <summary>Registers a stream; returns the one it replaced (already told to close), if any.</summary>
    public ConnectedAgent? Attach(ConnectedAgent agent)
    {
        ConnectedAgent? previous = null;
        _agents.AddOrUpdate(agent.NodeId, agent, (_, old) =>
        {
            previous = old;
            return agent;
        });
        previous?.Replace();
        return previous;
    }

    /// <summary>Removes a stream, unless a newer one has taken its place already.</summary>
    public void Detach(ConnectedAgent agent) =>
        _agents.TryRemove(new KeyValuePair<string, ConnectedAgent>(agent.NodeId, agent));

    public const string RemovedReason = "the node was removed (fleetctl nodes remove): its certificate is revoked";

    /// <summary>Closes the stream of a node that was removed: its certificate is revoked, so it cannot come back.</summary>
    public void Disconnect(string nodeName)
    {
        foreach (var agent in _agents.Values.Where(a => a.NodeName == nodeName))
        {
            agent.Close(Grpc.Core.StatusCode.PermissionDenied, RemovedReason, IdentityRefusal.Trailers(IdentityRefusal.NotEnrolled, agent.CertificateSerial));
        }
    }

    /// <summary>A node that was approved while connected may receive steps from now on.</summary>
    public void Approve(string nodeId)
    {
        if (_agents.TryGetValue(nodeId, out var agent))
        {
            agent.Approved = true;
        }
    }
}

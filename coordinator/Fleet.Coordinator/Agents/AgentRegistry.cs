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
}

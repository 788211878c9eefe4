using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Steps;

namespace Fleet.Coordinator.Agents;

public static class AgentServices
{
    /// <summary>Agents and their nodes: the node store, the registry of connected agents, their limits and identity, and step dispatch to them.</summary>
    public static IServiceCollection AddAgents(this IServiceCollection services, AgentLimits limits, RefusedIdentityLogOptions refusedIdentityLog)
    {
        services.AddSingleton<INodeStore, SqliteNodeStore>();
        services.AddSingleton<NodeStatusPolicy>();
        services.AddSingleton<AgentRegistry>();
        services.AddSingleton(limits);
        services.AddSingleton<NodeRateLimits>();
        services.AddSingleton(refusedIdentityLog);
        services.AddSingleton<RefusedIdentityLog>();
        services.AddSingleton<INodeIdentityResolver, CertificateNodeIdentityResolver>();
        services.AddSingleton<StepDispatcher>();
        return services;
    }
}

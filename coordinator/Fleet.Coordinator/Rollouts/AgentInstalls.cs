using Fleet.Coordinator.Catalog;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// How a node's agent is installed, as it reports it (NodeFacts.agent_install): "deb" (the fleet-agent package) or
/// "binary" (side by side under BASE/versions, BASE/current the running one). Anything else, empty included, is neither:
/// Fleet cannot upgrade that agent.
/// </summary>
public static class AgentInstalls
{
    public const string Deb = "deb";
    public const string Binary = "binary";

    /// <summary>The kind of package the node takes, or null when its install is neither (exact spelling only).</summary>
    public static AgentPackageKind? KindOf(string? reported) => reported switch
    {
        Deb => AgentPackageKind.Deb,
        Binary => AgentPackageKind.Binary,
        _ => null,
    };

    /// <summary>The catalog component that serves <paramref name="kind"/>: fleet-agent (deb) or fleet-agent-binary.</summary>
    public static string Component(AgentPackageKind kind) =>
        kind == AgentPackageKind.Binary ? ComponentKinds.AgentBinaryComponent : ComponentKinds.AgentComponent;
}

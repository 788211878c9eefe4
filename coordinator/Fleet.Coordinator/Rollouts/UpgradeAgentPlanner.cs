using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Nodes;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// The upgrade-agent recipe's one step for a node, resolved for the node's own arch and by how its agent is installed (its
/// reported agent_install, <see cref="AgentInstalls"/>). A node installed from the .deb gets the catalog's fleet-agent
/// package of the version and the package of the version it runs now (its agent_version, the way back its watchdog takes);
/// a node installed side by side gets the catalog's fleet-agent-binary executable of the version and no previous package
/// (its way back is the running version's folder on the node). Preflight refuses the plan, naming the node, its arch and
/// the version, when the catalog serves either one not for the node's arch, when the node has reported no agent version
/// (then there is no known way back), and when its agent is installed neither way. A node already at the version still
/// gets the step: the agent answers it already satisfied.
/// </summary>
public static class UpgradeAgentPlanner
{
    /// <summary>The step's timeout: the download, the deadline, and two minutes for the agent's restarts in between
    /// (StepDispatcher sends the step again to the agent that reconnects, which answers it).</summary>
    public static TimeSpan Timeout(UpgradeAgentRecipe recipe, StepTimeouts timeouts) => timeouts.Download + recipe.Deadline + TimeSpan.FromMinutes(2);

    /// <summary>The node's step, or null with every problem added to <paramref name="problems"/>.</summary>
    public static NodeStep.UpgradeAgent? Resolve(UpgradeAgentRecipe recipe, NodeRecord node, CatalogDocument catalog, StepTimeouts timeouts, string kubeNode, List<string> problems)
    {
        if (AgentInstalls.KindOf(node.Facts.AgentInstall) is not { } install)
        {
            problems.Add($"node {node.Name}: its agent is installed neither from the package nor side by side (agent_install unknown): it cannot be upgraded by Fleet");
            return null;
        }

        var arch = node.Facts.Arch;
        var archName = arch.ToName();
        var current = AgentVersions.OfReported(node.Facts.AgentVersion);
        var component = AgentInstalls.Component(install);
        var package = Package(catalog, component, install, recipe.Version, arch);
        if (package is null)
        {
            problems.Add($"node {node.Name} ({archName}): {component} {recipe.Version} is not in the catalog for {archName}");
        }

        NodeStep.AgentPackageSpec? previous = null;
        if (current.Length == 0)
        {
            problems.Add($"node {node.Name} ({archName}): its {ComponentKinds.AgentComponent} version is unknown (it reported none), so there is no known way back");
            return null;
        }

        if (install == AgentPackageKind.Deb && (previous = Package(catalog, component, install, current, arch)) is null)
        {
            problems.Add($"node {node.Name} runs {ComponentKinds.AgentComponent} {current}, which the catalog does not serve for {archName}: no way back");
            return null;
        }

        if (package is null)
        {
            return null;
        }

        var step = new NodeStep.UpgradeAgent
        {
            Arch = arch,
            Install = install,
            Package = package,
            Previous = previous,
            FromVersion = current,
            Deadline = recipe.Deadline,
            Timeout = Timeout(recipe, timeouts),
        };
        return step with { Description = step.Describe(kubeNode, arch) };
    }

    /// <summary><paramref name="component"/> <paramref name="version"/> for <paramref name="arch"/>, only from a component of
    /// the kind <paramref name="install"/> takes (deb for fleet-agent, binary for fleet-agent-binary).</summary>
    private static NodeStep.AgentPackageSpec? Package(CatalogDocument catalog, string component, AgentPackageKind install, string version, Arch arch)
    {
        var artifact = CatalogResolver.Resolve(catalog, component, version, arch, out _);
        var kind = install == AgentPackageKind.Binary ? ComponentKinds.Binary : ComponentKinds.Deb;
        return artifact is not null && artifact.Kind == kind ? NodeStep.AgentPackageSpec.From(artifact) : null;
    }
}

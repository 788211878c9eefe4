using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Nodes;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// The upgrade-agent recipe's one step for a node, resolved against the catalog's fleet-agent component for the node's
/// own arch: the new package, and the package of the version the node runs now (its agent_version, the way back its
/// watchdog takes). Preflight refuses the plan, naming the node, its arch and the version, when the catalog serves
/// either one not for the node's arch, and when the node has reported no agent version (then there is no known way
/// back). A node already at the version still gets the step: the agent answers it already satisfied.
/// </summary>
public static class UpgradeAgentPlanner
{
    /// <summary>The step's timeout: the download, the deadline, and two minutes for the agent's restarts in between
    /// (StepDispatcher sends the step again to the agent that reconnects, which answers it).</summary>
    public static TimeSpan Timeout(UpgradeAgentRecipe recipe, StepTimeouts timeouts) => timeouts.Download + recipe.Deadline + TimeSpan.FromMinutes(2);

    /// <summary>The node's step, or null with every problem added to <paramref name="problems"/>.</summary>
    public static NodeStep.UpgradeAgent? Resolve(UpgradeAgentRecipe recipe, NodeRecord node, CatalogDocument catalog, StepTimeouts timeouts, string kubeNode, List<string> problems)
    {
        var arch = node.Facts.Arch;
        var archName = arch.ToName();
        var current = AgentVersions.OfReported(node.Facts.AgentVersion);
        var package = Package(catalog, recipe.Version, arch);
        if (package is null)
        {
            problems.Add($"node {node.Name} ({archName}): {ComponentKinds.AgentComponent} {recipe.Version} is not in the catalog for {archName}");
        }

        NodeStep.AgentPackageSpec? previous = null;
        if (current.Length == 0)
        {
            problems.Add($"node {node.Name} ({archName}): its {ComponentKinds.AgentComponent} version is unknown (it reported none), so there is no known way back");
        }
        else if ((previous = Package(catalog, current, arch)) is null)
        {
            problems.Add($"node {node.Name} runs {ComponentKinds.AgentComponent} {current}, which the catalog does not serve for {archName}: no way back");
        }

        if (package is null || previous is null)
        {
            return null;
        }

        var step = new NodeStep.UpgradeAgent
        {
            Arch = arch,
            Package = package,
            Previous = previous,
            Deadline = recipe.Deadline,
            Timeout = Timeout(recipe, timeouts),
        };
        return step with { Description = step.Describe(kubeNode, arch) };
    }

    /// <summary>fleet-agent <paramref name="version"/> for <paramref name="arch"/>, only from a component of kind deb.</summary>
    private static NodeStep.AgentPackageSpec? Package(CatalogDocument catalog, string version, Arch arch)
    {
        var artifact = CatalogResolver.Resolve(catalog, ComponentKinds.AgentComponent, version, arch, out _);
        return artifact is { Kind: ComponentKinds.Deb } ? NodeStep.AgentPackageSpec.From(artifact) : null;
    }
}

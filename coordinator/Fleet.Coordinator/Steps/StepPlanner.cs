using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Nodes;
using Fleet.V1;

namespace Fleet.Coordinator.Steps;

/// <summary>
/// Turns a RunStep request into one concrete step per node, resolved for the node's architecture.
/// Every node the catalog cannot serve is reported at once, grouped by problem, before anything is sent.
/// </summary>
public static class StepPlanner
{
    public const string DefaultCniComponent = "cni-plugins";

    public sealed record Planned(NodeRecord Node, StepRequest Request, ResolvedArtifact Artifact);

    public static (List<Planned> Steps, List<string> Problems) Plan(RunStepRequest request, IReadOnlyList<NodeRecord> nodes, CatalogDocument catalog, string runId, TimeSpan timeout)
    {
        var (component, version, kind) = request.ActionCase switch
        {
            RunStepRequest.ActionOneofCase.InstallCni => (Or(request.InstallCni.Component, DefaultCniComponent), request.InstallCni.Version, ComponentKinds.CniPlugins),
            RunStepRequest.ActionOneofCase.Download => (request.Download.Component, request.Download.Version, ComponentKinds.Binary),
            _ => ("", "", ""),
        };
        var problems = new List<string>();
        var unserved = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var steps = new List<Planned>();
        foreach (var node in nodes)
        {
            var artifact = CatalogResolver.Resolve(catalog, component, version, node.Facts.Arch, out var problem);
            if (artifact is null)
            {
                (unserved.TryGetValue(problem, out var names) ? names : unserved[problem] = []).Add(node.Name);
                continue;
            }

            if (artifact.Kind != kind)
            {
                problems.Add($"{component} is a {artifact.Kind} component; this step needs a {kind} component");
                return ([], problems);
            }

            var step = new StepRequest { Id = $"{runId}-{node.Name}", Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(timeout) };
            if (request.ActionCase == RunStepRequest.ActionOneofCase.InstallCni)
            {
                step.InstallCniPlugins = new InstallCniPluginsStep { Url = artifact.Url, Sha256 = artifact.Sha256, DestDir = request.InstallCni.DestDir };
            }
            else
            {
                step.Download = new DownloadStep
                {
                    Url = artifact.Url,
                    Sha256 = artifact.Sha256,
                    Dest = request.Download.Dest,
                    Mode = request.Download.Mode == 0 ? 0x1ED /* 0755 */ : request.Download.Mode,
                    Executable = true,
                };
            }

            steps.Add(new Planned(node, step, artifact));
        }

        problems.AddRange(unserved.Select(u => $"{u.Key}: {string.Join(", ", u.Value)}"));
        return (steps, problems);
    }

    private static string Or(string value, string fallback) => value.Length > 0 ? value : fallback;
}

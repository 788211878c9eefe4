using Fleet.Coordinator.Rollouts;
using Fleet.V1;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Fleet.Coordinator.Control;

/// <summary>
/// The one place a `fleetctl run` request becomes a plan: a rollout of one batch (every target at once),
/// one step, failure threshold 100% and onFailure abort, so it ends succeeded or failed, never paused. The
/// request is written as a plan document, emitted as YAML and read back by <see cref="PlanParser"/>: the
/// same validation as a YAML plan, and the stored YAML (which a restarted coordinator resumes from) is by
/// construction the plan that runs.
/// </summary>
public static class RunStepPlan
{
    /// <summary>The rollout's name, as `rollout list` shows it.</summary>
    public const string Name = "fleetctl-run";

    private const string StepPath = "steps[0].";

    private static readonly ISerializer Yaml = new SerializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
        .WithQuotingNecessaryStrings()
        .DisableAliases()
        .Build();

    /// <summary>The plan, or every problem (a step's by its flag's path: "download.dest: ...").</summary>
    public static (RolloutPlan? Plan, IReadOnlyList<string> Problems) From(RunStepRequest request)
    {
        var step = request.ActionCase switch
        {
            RunStepRequest.ActionOneofCase.InstallCni => new StepDocument
            {
                InstallCni = new InstallCniDocument { Version = request.InstallCni.Version, Component = Given(request.InstallCni.Component), DestDir = Given(request.InstallCni.DestDir) },
            },
            RunStepRequest.ActionOneofCase.Download => new StepDocument
            {
                Download = new DownloadDocument
                {
                    Component = request.Download.Component,
                    Version = request.Download.Version,
                    Dest = request.Download.Dest,
                    Mode = request.Download.Mode == 0 ? null : DownloadMode.Octal(request.Download.Mode),
                },
            },
            _ => null,
        };
        if (step is null)
        {
            return (null, ["no action: install_cni or download"]);
        }

        var selector = request.Selector ?? new NodeSelector();
        if (selector.Arch != Arch.Unspecified && !selector.Arch.IsKnown())
        {
            return (null, [$"selector.arch: unknown value {(int)selector.Arch}"]);
        }

        var document = new PlanDocument
        {
            Name = Name,
            Target = new TargetDocument
            {
                Names = [.. selector.Names],
                Arch = selector.Arch == Arch.Unspecified ? null : selector.Arch.ToName(),
                Labels = selector.Labels.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal),
                Exclude = [.. selector.Exclude],
                SkipDisconnected = selector.SkipDisconnected ? true : null,
            },
            Strategy = new StrategyDocument { BatchSize = "100%", FailureThreshold = "100%", OnFailure = "abort" },
            Steps = [step],
        };
        if (request.Timeout?.ToTimeSpan() is { } timeout && timeout > TimeSpan.Zero)
        {
            document.Strategy.Timeouts["download"] = DurationText.Format(timeout);
        }

        var (plan, problems) = PlanParser.Parse(ToYaml(document));
        return (plan, problems.Select(p => p.StartsWith(StepPath, StringComparison.Ordinal) ? p[StepPath.Length..] : p).ToList());
    }

    internal static string ToYaml(PlanDocument document) => Yaml.Serialize(document);

    private static string? Given(string value) => value.Length == 0 ? null : value;
}

using Fleet.Agent.Configuration;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// `kubeadm upgrade apply VERSION -y` on the first control-plane node, `kubeadm upgrade node` on the
/// others and on workers (it upgrades to the version of the kubeadm binary that runs it).
/// </summary>
public sealed class KubeadmUpgradeStepHandler(StepProcess process, AgentOptions options) : IStepHandler
{
    public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.KubeadmUpgrade;

    public async Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct)
    {
        var step = request.KubeadmUpgrade;
        switch (step.Mode)
        {
            case KubeadmUpgradeMode.Apply:
                Require(KubeadmInputs.Version(step.Version, "version"));
                await RunAsync("kubeadm upgrade apply", ["upgrade", "apply", step.Version, "-y"], progress, ct);
                return Results.Succeeded(request.Id, $"upgraded the control plane to {step.Version}");

            case KubeadmUpgradeMode.Node:
                if (step.Version.Length > 0)
                {
                    // kubeadm upgrade node takes no version; a given one is still checked, as a sign of a confused plan.
                    Require(KubeadmInputs.Version(step.Version, "version"));
                }

                await RunAsync("kubeadm upgrade node", ["upgrade", "node"], progress, ct);
                return Results.Succeeded(request.Id, step.Version.Length > 0 ? $"upgraded the node's configuration (for {step.Version})" : "upgraded the node's configuration");

            case KubeadmUpgradeMode.Unspecified:
                throw new StepFailedException("refusing to run kubeadm upgrade: mode: missing (apply or node)");

            default:
                throw new StepFailedException($"refusing to run kubeadm upgrade: mode: unknown value {(int)step.Mode} (this agent knows apply and node)");
        }
    }

    private static void Require(string? problem)
    {
        if (problem is not null)
        {
            throw new StepFailedException($"refusing to run kubeadm upgrade: {problem}");
        }
    }

    private Task RunAsync(string what, string[] arguments, StepProgress progress, CancellationToken ct) =>
        process.RunAsync(new ProgramCommand(options.KubeadmPath, "--kubeadm-path", what, arguments, SecretScrubber.None), progress, ct);
}

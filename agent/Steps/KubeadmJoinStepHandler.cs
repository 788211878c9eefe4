using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// `kubeadm join`: already satisfied when /etc/kubernetes/kubelet.conf exists (the node has joined);
/// otherwise every input is checked, then kubeadm runs. The token and the certificate key are secrets:
/// they go to kubeadm's argument vector and nowhere else (not the agent's log, the journal, the step's
/// log lines or its result), and are scrubbed from kubeadm's own output.
/// </summary>
public sealed class KubeadmJoinStepHandler(StepProcess process, HostPaths paths, AgentOptions options) : IStepHandler
{
    public const string KubeletConf = "/etc/kubernetes/kubelet.conf";

    public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.KubeadmJoin;

    public async Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct)
    {
        var step = request.KubeadmJoin;
        var scrubber = new SecretScrubber(step.Token, KubeadmInputs.TokenSecret(step.Token), step.CertificateKey);
        string?[] problems =
        [
            KubeadmInputs.Endpoint(step.ControlPlaneEndpoint),
            KubeadmInputs.Token(step.Token),
            KubeadmInputs.CaCertHashes(step.CaCertHashes),
            KubeadmInputs.CertificateKey(step.CertificateKey, step.ControlPlane),
            KubeadmInputs.NodeName(step.NodeName),
        ];
        if (problems.OfType<string>().ToArray() is { Length: > 0 } found)
        {
            throw new StepFailedException(scrubber.Scrub($"refusing to run kubeadm join: {string.Join("; ", found)}"));
        }

        if (File.Exists(paths.Resolve(KubeletConf)))
        {
            return Results.AlreadySatisfied(request.Id, $"{KubeletConf} exists: this node has already joined a cluster");
        }

        List<string> arguments = ["join", step.ControlPlaneEndpoint, "--token", step.Token];
        foreach (var hash in step.CaCertHashes)
        {
            arguments.AddRange(["--discovery-token-ca-cert-hash", hash]);
        }

        if (step.ControlPlane)
        {
            arguments.Add("--control-plane");
            if (step.CertificateKey.Length > 0)
            {
                arguments.AddRange(["--certificate-key", step.CertificateKey]);
            }
        }

        if (step.NodeName.Length > 0)
        {
            arguments.AddRange(["--node-name", step.NodeName]);
        }

        await process.RunAsync(new ProgramCommand(options.KubeadmPath, "--kubeadm-path", "kubeadm join", arguments, scrubber), progress, ct);

        // The real kubeadm returns only once the kubelet has finished its TLS bootstrap and written this file.
        if (!File.Exists(paths.Resolve(KubeletConf)))
        {
            throw new StepFailedException($"kubeadm join exited 0 but {KubeletConf} does not exist: the node did not join");
        }

        var role = step.ControlPlane ? "a control-plane node" : "a worker";
        return Results.Succeeded(request.Id, $"joined the cluster at {step.ControlPlaneEndpoint} as {role}");
    }
}

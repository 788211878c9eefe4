using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// `kubeadm join`: already satisfied when /etc/kubernetes/kubelet.conf exists (the node has joined);
/// otherwise every input is checked, then kubeadm runs. The token and the certificate key are secrets:
/// they go to kubeadm in a JoinConfiguration file (0600, in a 0700 folder, removed afterwards) and
/// nowhere else (not its command line, the agent's log, the journal, the step's log lines or its
/// result), and are scrubbed from kubeadm's own output.
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

        // The secrets go to kubeadm in a file only it and root can read, in a folder of its own
        // (0700) under the agent's state folder, removed when kubeadm is done (a crash's leftover is
        // removed at the agent's next start: LeftoverFiles).
        var folder = LeftoverFiles.NewKubeadmFolder(paths.StateDir);
        try
        {
            var config = Path.Join(folder, "join.yaml");
            await using (var file = new FileStream(config, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(KubeadmJoinConfig.Render(step)), ct);
                await file.FlushAsync(ct);
            }

            await process.RunAsync(new ProgramCommand(options.KubeadmPath, "--kubeadm-path", "kubeadm join", ["join", "--config", config], scrubber), progress, ct);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        // The real kubeadm returns only once the kubelet has finished its TLS bootstrap and written this file.
        if (!File.Exists(paths.Resolve(KubeletConf)))
        {
            throw new StepFailedException($"kubeadm join exited 0 but {KubeletConf} does not exist: the node did not join");
        }

        var role = step.ControlPlane ? "a control-plane node" : "a worker";
        return Results.Succeeded(request.Id, $"joined the cluster at {step.ControlPlaneEndpoint} as {role}");
    }
}

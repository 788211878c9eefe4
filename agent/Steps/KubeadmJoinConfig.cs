using System.Text;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// The JoinConfiguration given to `kubeadm join --config FILE`, so that the bootstrap token and the
/// certificate key are never on kubeadm's command line (/proc/PID/cmdline is readable by every local
/// user). kubeadm.k8s.io/v1beta3: read by kubeadm 1.22 and later. Every value has passed
/// <see cref="KubeadmInputs"/> before it gets here (letters, digits, '.', ':', '-', '[', ']'), so
/// none needs escaping in a double-quoted YAML string.
/// </summary>
public static class KubeadmJoinConfig
{
    public const string ApiVersion = "kubeadm.k8s.io/v1beta3";

    public static string Render(KubeadmJoinStep step)
    {
        var yaml = new StringBuilder()
            .Append("apiVersion: ").Append(ApiVersion).Append('\n')
            .Append("kind: JoinConfiguration\n")
            .Append("discovery:\n")
            .Append("  bootstrapToken:\n")
            .Append("    apiServerEndpoint: \"").Append(step.ControlPlaneEndpoint).Append("\"\n")
            .Append("    token: \"").Append(step.Token).Append("\"\n")
            .Append("    caCertHashes:\n");
        foreach (var hash in step.CaCertHashes)
        {
            yaml.Append("    - \"").Append(hash).Append("\"\n");
        }

        if (step.NodeName.Length > 0)
        {
            yaml.Append("nodeRegistration:\n").Append("  name: \"").Append(step.NodeName).Append("\"\n");
        }

        if (step.ControlPlane)
        {
            yaml.Append("controlPlane:");
            yaml.Append(step.CertificateKey.Length > 0 ? $"\n  certificateKey: \"{step.CertificateKey}\"\n" : " {}\n");
        }

        return yaml.ToString();
    }
}

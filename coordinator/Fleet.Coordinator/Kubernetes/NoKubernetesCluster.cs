namespace Fleet.Coordinator.Kubernetes;

/// <summary>No kubeconfig configured: plans that need the Kubernetes API are refused at preflight.</summary>
public sealed class NoKubernetesClusterProvider : IKubernetesClusterProvider
{
    public ValueTask<IKubernetesCluster?> GetAsync(CancellationToken ct) => ValueTask.FromResult<IKubernetesCluster?>(null);
}

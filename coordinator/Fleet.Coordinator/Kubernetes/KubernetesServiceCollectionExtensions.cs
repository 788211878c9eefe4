namespace Fleet.Coordinator.Kubernetes;

public static class KubernetesServiceCollectionExtensions
{
    /// <summary>The cluster behind <see cref="IKubernetesClusterProvider"/> (KubernetesClient, from the kubeconfig in use), the Kubernetes node map, the node labeler and the control API's cluster calls.</summary>
    public static IServiceCollection AddFleetKubernetes(this IServiceCollection services)
    {
        services.AddSingleton<KubeconfigProvider>();
        services.AddSingleton<KubeNodeMapStore>();
        services.AddSingleton<KubeNodeMap>();
        services.AddSingleton<IKubernetesClusterProvider>(sp => sp.GetRequiredService<KubeconfigProvider>());
        services.AddSingleton<KubeNodeLabeler>();
        services.AddHostedService(sp => sp.GetRequiredService<KubeNodeLabeler>());
        services.AddSingleton<ClusterApi>();
        return services;
    }
}

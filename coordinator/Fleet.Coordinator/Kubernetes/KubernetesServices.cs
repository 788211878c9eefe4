namespace Fleet.Coordinator.Kubernetes;

public static class KubernetesServices
{
    /// <summary>The cluster behind <see cref="IKubernetesClusterProvider"/> (KubernetesClient, from the kubeconfig in use), the Kubernetes node map and the node labeler.</summary>
    public static IServiceCollection AddKubernetes(this IServiceCollection services)
    {
        services.AddSingleton<KubeconfigProvider>();
        services.AddSingleton<KubeNodeMapStore>();
        services.AddSingleton<KubeNodeMap>();
        services.AddSingleton<IKubernetesClusterProvider>(sp => sp.GetRequiredService<KubeconfigProvider>());
        services.AddSingleton<KubeNodeLabeler>();
        services.AddHostedService(sp => sp.GetRequiredService<KubeNodeLabeler>());
        return services;
    }
}

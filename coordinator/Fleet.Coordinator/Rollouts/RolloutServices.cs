using Fleet.Coordinator.Control;
using Fleet.Coordinator.Kubernetes;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleet.Coordinator.Rollouts;

public static class RolloutServices
{
    /// <summary>The rollout engine and its API. The Kubernetes provider defaults to "none configured".</summary>
    public static IServiceCollection AddFleetRollouts(this IServiceCollection services)
    {
        services.TryAddSingleton<IKubernetesClusterProvider, NoKubernetesClusterProvider>();
        services.AddSingleton<RolloutStore>();
        services.AddSingleton<RolloutPreflight>();
        services.AddSingleton<StepExecutor>();
        services.AddSingleton<RolloutDriver>();
        services.AddSingleton<RolloutEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<RolloutEngine>());
        services.AddSingleton<RolloutApi>();
        return services;
    }
}

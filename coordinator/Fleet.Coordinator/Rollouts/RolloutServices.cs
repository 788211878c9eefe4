using Fleet.Coordinator.Control;

namespace Fleet.Coordinator.Rollouts;

public static class RolloutServices
{
    /// <summary>The rollout engine and its API; the Kubernetes provider comes from AddFleetKubernetes.</summary>
    public static IServiceCollection AddFleetRollouts(this IServiceCollection services)
    {
        services.AddSingleton<RolloutStore>();
        services.AddSingleton<TargetChecks>();
        services.AddSingleton<RolloutPreflight>();
        services.AddSingleton<StepExecutor>();
        services.AddSingleton<RolloutDriver>();
        services.AddSingleton<RolloutEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<RolloutEngine>());
        services.AddSingleton<RolloutApi>();
        return services;
    }
}

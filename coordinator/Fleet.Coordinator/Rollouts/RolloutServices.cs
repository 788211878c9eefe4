using Fleet.Coordinator.Control;

namespace Fleet.Coordinator.Rollouts;

public static class RolloutServices
{
    /// <summary>The rollout engine and its API; the Kubernetes provider comes from AddFleetKubernetes.</summary>
    public static IServiceCollection AddFleetRollouts(this IServiceCollection services)
    {
        services.AddSingleton<IRolloutStore, SqliteRolloutStore>();
        services.AddSingleton<TargetChecks>();
        services.AddSingleton<RolloutPreflight>();
        services.AddSingleton<StepExecutor>();
        services.AddSingleton<RolloutTransitions>();
        services.AddSingleton<RolloutDriver>();
        services.AddSingleton<RolloutEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<RolloutEngine>());
        services.AddSingleton<RolloutApi>();
        return services;
    }
}

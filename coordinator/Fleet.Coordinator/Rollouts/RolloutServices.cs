using Fleet.Coordinator.Rollouts.Gates;

namespace Fleet.Coordinator.Rollouts;

public static class RolloutServices
{
    /// <summary>The rollout engine: preflight, store, driver and step executor; the Kubernetes provider comes from AddKubernetes.</summary>
    public static IServiceCollection AddRollouts(this IServiceCollection services)
    {
        services.AddSingleton<IRolloutStore, SqliteRolloutStore>();
        services.AddSingleton<TargetChecks>();
        services.AddSingleton<RolloutPreflight>();
        services.AddSingleton<StepExecutor>();
        services.AddSingleton<RolloutTransitions>();
        services.AddGates();
        services.AddSingleton<RolloutDriver>();
        services.AddSingleton<RolloutEngine>();
        services.AddSingleton<RollbackPlanner>();
        services.AddSingleton<RollbackRollouts>();
        services.AddHostedService(sp => sp.GetRequiredService<RolloutEngine>());
        return services;
    }
}

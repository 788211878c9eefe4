namespace Fleet.Coordinator.Rollouts.Gates;

public static class GateServices
{
    /// <summary>The gate checks of `strategy.gates` and their HTTP client; the Kubernetes provider comes from AddKubernetes.</summary>
    public static IServiceCollection AddGates(this IServiceCollection services)
    {
        services.AddSingleton(new GateOptions());
        services.AddSingleton<GateHttp>();
        services.AddSingleton<NodesReadyGateCheck>();
        services.AddSingleton<PrometheusGateCheck>();
        services.AddSingleton<HttpGateCheck>();
        services.AddSingleton<GateChecker>();
        return services;
    }
}

using Fleet.Coordinator.Hosting;

namespace Fleet.Coordinator.Control;

public static class ControlServices
{
    /// <summary>The operators' API behind fleetctl: its facades per feature, admin certificates, and the control socket's permissions.</summary>
    public static IServiceCollection AddControl(this IServiceCollection services)
    {
        services.AddSingleton<AdminCertificates>();
        services.AddSingleton<CatalogApi>();
        services.AddSingleton<RunStepApi>();
        services.AddSingleton<RolloutApi>();
        services.AddSingleton<ClusterApi>();
        services.AddHostedService<ControlSocketSecurer>();
        return services;
    }
}

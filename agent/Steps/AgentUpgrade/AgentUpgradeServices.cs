using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>The agent's self-upgrade: the UpgradeAgent step, its package cache and watchdog, and the confirmation after connecting.</summary>
public static class AgentUpgradeServices
{
    public static IServiceCollection AddAgentUpgrade(this IServiceCollection services)
    {
        services.AddSingleton(new AgentUpgradeOptions());
        services.AddSingleton<UpgradeFolder>();
        services.AddSingleton<AgentInstall>();
        services.AddSingleton<PackageControlFields>();
        services.AddSingleton<AgentPackageCache>();
        services.AddSingleton<BinaryAgentVersions>();
        services.AddSingleton<InstalledAgentPackage>();
        services.AddSingleton<UpgradeWatchdog>();
        services.AddSingleton<UpgradeConfirmation>();
        services.AddSingleton<IStepHandler, UpgradeAgentStepHandler>();
        return services;
    }
}

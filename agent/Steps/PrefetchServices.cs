using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fleet.Agent.Steps;

/// <summary>The prefetch step, its staging cache, and the cache's clean-up at start.</summary>
public static class PrefetchServices
{
    public static IServiceCollection AddPrefetch(this IServiceCollection services)
    {
        services.AddSingleton(new StagingCacheOptions());
        services.AddSingleton<StagingCache>();
        services.AddSingleton<IStepHandler, PrefetchStepHandler>();
        services.AddHostedService<StagingCacheCleanup>();
        return services;
    }
}

/// <summary>At start, before the session can start a step: removes stale staging-cache entries (<see cref="StagingCache.Clean"/>).</summary>
public sealed class StagingCacheCleanup(StagingCache cache) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cache.Clean();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

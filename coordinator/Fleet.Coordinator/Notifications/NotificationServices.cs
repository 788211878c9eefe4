using Fleet.Coordinator.Metrics;
using Fleet.Coordinator.Rollouts;

namespace Fleet.Coordinator.Notifications;

public static class NotificationServices
{
    /// <summary>Rollout webhooks (signed, queued, retried; never in the rollout's way) and the rollout metrics, both told of each change by <see cref="RolloutTransitions"/>.</summary>
    public static IServiceCollection AddNotifications(this IServiceCollection services, NotificationOptions options, string dataDir)
    {
        services.AddSingleton(options);
        services.AddSingleton(new WebhookSecrets(options.SecretsDir ?? Path.Join(dataDir, "webhook-secrets")));
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<RolloutMetrics>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddSingleton<WebhookNotifier>();
        services.AddSingleton<IRolloutListener>(sp => sp.GetRequiredService<WebhookNotifier>());
        services.AddSingleton<IRolloutListener>(sp => sp.GetRequiredService<RolloutMetrics>());
        return services;
    }
}

using Prometheus;

namespace Fleet.Coordinator.Metrics;

/// <summary>Webhook deliveries (Notifications/), in the coordinator's registry.</summary>
public sealed class WebhookMetrics
{
    public WebhookMetrics(FleetMetrics fleet)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(fleet.Registry);
        Deliveries = factory.CreateCounter(
            "fleet_webhook_deliveries_total",
            "Webhook deliveries by final outcome: delivered (2xx), rejected (a 3xx or 4xx other than 408/429: not retried), failed (retries used up on 5xx, 408, 429, timeouts or connection errors), no-secret (the named secret is gone).",
            new CounterConfiguration { LabelNames = ["outcome"] });
        Retries = factory.CreateCounter("fleet_webhook_delivery_retries_total", "Webhook attempts after the first (5xx, 408, 429, timeouts, connection errors).");
        Dropped = factory.CreateCounter("fleet_webhook_deliveries_dropped_total", "Webhook deliveries dropped, the oldest waiting first, because their receiver's queue was full.");
        foreach (var outcome in Outcomes)
        {
            Deliveries.WithLabels(outcome); // every outcome is exported from the start, at 0
        }
    }

    public static IReadOnlyList<string> Outcomes { get; } = ["delivered", "rejected", "failed", "no-secret"];

    public Counter Deliveries { get; }

    public Counter Retries { get; }

    public Counter Dropped { get; }
}

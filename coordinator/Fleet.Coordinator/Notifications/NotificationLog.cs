namespace Fleet.Coordinator.Notifications;

/// <summary>Webhook log events. A URL is logged as its origin (scheme, host, port) only; a response body is never read into a log.</summary>
internal static partial class NotificationLog
{
    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Webhook {Origin}: {WebhookEvent} of rollout {Rollout} (delivery {Delivery}), attempt {Attempt} failed: {Reason}; retrying in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string origin, string webhookEvent, string rollout, string delivery, int attempt, string reason, double delayMs);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Webhook {Origin}: {WebhookEvent} of rollout {Rollout} (delivery {Delivery}) not delivered: {Reason}")]
    public static partial void NotDelivered(ILogger logger, string origin, string webhookEvent, string rollout, string delivery, string reason);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "Webhook {Origin}: its queue is full ({Capacity} waiting): dropping the oldest waiting deliveries (counted in fleet_webhook_deliveries_dropped_total; logged once until its queue drains)")]
    public static partial void Dropping(ILogger logger, string origin, int capacity);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Debug, Message = "Webhook {Origin}: {WebhookEvent} of rollout {Rollout} delivered (delivery {Delivery}, HTTP {Status})")]
    public static partial void Delivered(ILogger logger, string origin, string webhookEvent, string rollout, string delivery, int status);
}

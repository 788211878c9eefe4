namespace Fleet.Coordinator.Notifications;

/// <summary>How webhooks are delivered (docs/rollouts.md, "Notifications").</summary>
public sealed class NotificationOptions
{
    /// <summary>Where the coordinator keeps the webhook secrets, one file per name (0600); null: DATA_DIR/webhook-secrets.</summary>
    public string? SecretsDir { get; set; }

    /// <summary>Deliveries waiting per receiver (URL and secret); past it the oldest waiting one is dropped and counted.</summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>One attempt's bound: connect, send and the response's headers.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per delivery, the first included.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The first retry's delay; each next one doubles it, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A receiver with nothing to deliver for this long gives its queue and task back.</summary>
    public TimeSpan IdleLaneTimeout { get; set; } = TimeSpan.FromMinutes(5);
}

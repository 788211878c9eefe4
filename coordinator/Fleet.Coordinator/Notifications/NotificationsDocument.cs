namespace Fleet.Coordinator.Notifications;

/// <summary>A plan's `notifications:` as written in YAML (docs/rollouts.md, "Notifications").</summary>
public sealed class NotificationsDocument
{
    public List<WebhookDocument>? Webhooks { get; set; }
}

public sealed class WebhookDocument
{
    public string? Url { get; set; }

    /// <summary>The NAME of a secret the coordinator holds (DATA_DIR/webhook-secrets/NAME), never the secret itself.</summary>
    public string? Secret { get; set; }

    /// <summary>Event names; absent: every event.</summary>
    public List<string>? Events { get; set; }
}

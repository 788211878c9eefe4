namespace Fleet.Coordinator.Notifications;

/// <summary>A validated webhook of a plan: where to POST, the name of the secret that signs, which events.</summary>
public sealed record Webhook(Uri Url, string Secret, IReadOnlySet<WebhookEvent> Events)
{
    /// <summary>Scheme, host and port only: what logs say of the URL (a path or query may carry a token of the receiver's).</summary>
    public string Origin => Url.GetLeftPart(UriPartial.Authority);
}

/// <summary>A plan's notifications (none by default).</summary>
public sealed record RolloutNotifications(IReadOnlyList<Webhook> Webhooks)
{
    public static readonly RolloutNotifications None = new([]);
}

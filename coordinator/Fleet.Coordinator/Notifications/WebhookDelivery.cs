namespace Fleet.Coordinator.Notifications;

/// <summary>One event for one webhook: its JSON body is fixed when the event happens; it is signed at each attempt.</summary>
/// <param name="Id">the Fleet-Delivery header and the payload's "id": the same on every attempt, so a receiver can drop a duplicate</param>
public sealed record WebhookDelivery(string Id, Webhook Webhook, WebhookEvent Event, string RolloutId, byte[] Body)
{
    /// <summary>Deliveries to one receiver share a queue and go out in order.</summary>
    public string Lane => Webhook.Url.AbsoluteUri + "\n" + Webhook.Secret;
}

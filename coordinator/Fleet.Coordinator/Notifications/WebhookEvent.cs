namespace Fleet.Coordinator.Notifications;

/// <summary>The rollout events a webhook can receive; their names are the payload's "event" and the Fleet-Event header.</summary>
public enum WebhookEvent
{
    Started,
    BatchDone,
    NodeFailed,
    GateFailed,
    Paused,
    WindowWait,
    Resumed,
    Finished,
}

public static class WebhookEventNames
{
    public static IReadOnlyList<WebhookEvent> All { get; } = Enum.GetValues<WebhookEvent>();

    public static string ToName(this WebhookEvent e) => e switch
    {
        WebhookEvent.Started => "started",
        WebhookEvent.BatchDone => "batch-done",
        WebhookEvent.NodeFailed => "node-failed",
        WebhookEvent.GateFailed => "gate-failed",
        WebhookEvent.Paused => "paused",
        WebhookEvent.WindowWait => "window-wait",
        WebhookEvent.Resumed => "resumed",
        _ => "finished",
    };

    public static bool TryParse(string name, out WebhookEvent e)
    {
        foreach (var candidate in All)
        {
            if (candidate.ToName() == name)
            {
                e = candidate;
                return true;
            }
        }

        e = default;
        return false;
    }
}

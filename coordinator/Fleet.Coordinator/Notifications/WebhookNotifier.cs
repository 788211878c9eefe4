using System.Security.Cryptography;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Notifications;

/// <summary>
/// Turns a rollout's stored changes into webhook events and queues one delivery per webhook of its plan that
/// wants the event. It only queues: the rollout never waits on a receiver (<see cref="WebhookDispatcher"/> sends).
/// </summary>
public sealed class WebhookNotifier(WebhookDispatcher dispatcher) : IRolloutListener
{
    public void OnChange(RolloutChange change)
    {
        var webhooks = change.Run.Plan.Notifications.Webhooks;
        if (webhooks.Count == 0 || Event(change) is not { } found)
        {
            return;
        }

        var (e, message, node, batch) = found;
        byte[]? body = null;
        string? id = null;
        foreach (var webhook in webhooks.Where(w => w.Events.Contains(e)))
        {
            id ??= "d-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            body ??= WebhookPayload.Build(id, e, change, message, node, batch);
            dispatcher.Enqueue(new WebhookDelivery(id, webhook, e, change.Run.Id, body));
        }
    }

    private static (WebhookEvent Event, string Message, string Node, int Batch)? Event(RolloutChange change) => change switch
    {
        RolloutAnnounced a => (a.What switch
        {
            RolloutAnnouncement.Started => WebhookEvent.Started,
            RolloutAnnouncement.BatchDone => WebhookEvent.BatchDone,
            RolloutAnnouncement.GateFailed => WebhookEvent.GateFailed,
            _ => WebhookEvent.WindowWait,
        }, a.Message, a.Node, a.Batch),
        RolloutNodeChanged { To: RolloutNodeState.Failed or RolloutNodeState.RolledBack } n when n.From != n.To => (WebhookEvent.NodeFailed, n.Error, n.Node, 0), // rolled back: failed, then put back (its error says both)
        RolloutStateChanged { To: RolloutState.Paused } s when s.From != RolloutState.Paused => (WebhookEvent.Paused, s.Reason, "", 0),
        RolloutStateChanged { To: RolloutState.Running, From: RolloutState.Paused } s => (WebhookEvent.Resumed, "resumed by the operator", "", 0),
        RolloutStateChanged s when s.To.IsFinished() && !s.From.IsFinished() => (WebhookEvent.Finished, s.Reason, "", 0),
        _ => null,
    };
}

using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>The effective strategy of a plan for `rollout plan`: what will run, defaults filled in.</summary>
public static class StrategySummary
{
    /// <summary>The strategy, and the plan's webhooks shown with it.</summary>
    public static RolloutStrategySummary From(RolloutPlan plan)
    {
        var summary = From(plan.Strategy);
        summary.Webhooks.AddRange(plan.Notifications.Webhooks.Select(w =>
            $"{w.Origin} (secret {w.Secret}; events {(w.Events.Count == Notifications.WebhookEventNames.All.Count ? "all" : string.Join(", ", Notifications.WebhookEventNames.All.Where(w.Events.Contains).Select(e => Notifications.WebhookEventNames.ToName(e))))})"));
        return summary;
    }

    public static RolloutStrategySummary From(RolloutStrategy s)
    {
        var summary = new RolloutStrategySummary
        {
            BatchSize = s.MaxUnavailable is null ? s.BatchSize.ToString() : "",
            MaxUnavailable = s.MaxUnavailable?.ToString() ?? "",
            Canary = s.Canary,
            PauseBetweenBatches = DurationText.Format(s.PauseBetweenBatches),
            FailureThreshold = s.FailureThreshold.ToString(),
            OnFailure = s.OnFailure == OnFailure.Abort ? "abort" : "pause",
            KeepCordoned = s.KeepCordoned,
            Windows = { s.Windows.Select(w => w.Text) },
            Prefetch = s.Prefetch,
            OnNodeFailure = s.OnNodeFailure.ToName(),
        };
        var t = s.Timeouts;
        summary.Gates.AddRange(s.Gates.Select(g => g.Describe()));
        summary.Timeouts.Add(new Dictionary<string, string>
        {
            ["download"] = DurationText.Format(t.Download),
            ["kubeadm"] = DurationText.Format(t.Kubeadm),
            ["systemd"] = DurationText.Format(t.Systemd),
            ["drain"] = DurationText.Format(t.Drain),
            ["ready"] = DurationText.Format(t.Ready),
            ["kubeletHealthy"] = DurationText.Format(t.KubeletHealthy),
        });
        return summary;
    }
}

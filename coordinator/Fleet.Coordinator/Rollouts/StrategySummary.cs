using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>The effective strategy of a plan for `rollout plan`: what will run, defaults filled in.</summary>
public static class StrategySummary
{
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

namespace Fleet.Coordinator.Rollouts;

/// <summary>`etcd-snapshot: { endpoint?, dir?, keep?, certDir? }` in a plan (a step, or the upgrade recipe's `etcd:`).</summary>
public sealed class EtcdSnapshotDocument
{
    public string? Endpoint { get; set; }

    public string? Dir { get; set; }

    public int? Keep { get; set; }

    public string? CertDir { get; set; }
}

/// <summary>
/// Reads an etcd snapshot from a plan: the same rules the agent checks again (<see cref="EtcdSnapshotInputs"/>),
/// every problem by its path. The upgrade recipe takes a snapshot by default (`etcdSnapshot: false` skips it).
/// </summary>
public static class EtcdSnapshotPlan
{
    /// <param name="at">the document's path, e.g. "steps[2].etcd-snapshot"</param>
    public static NodeStep.EtcdSnapshot Parse(string at, EtcdSnapshotDocument? doc, StepTimeouts timeouts, List<string> problems)
    {
        doc ??= new EtcdSnapshotDocument();
        var step = new NodeStep.EtcdSnapshot
        {
            Endpoint = doc.Endpoint ?? "",
            Dir = doc.Dir ?? "",
            Keep = doc.Keep ?? 0,
            CertDir = doc.CertDir ?? "",
            Timeout = timeouts.Kubeadm,
        };
        problems.AddRange(EtcdSnapshotInputs.Problems($"{at}.", step.Endpoint, step.Dir, step.Keep, step.CertDir));
        return step;
    }

    /// <summary>The upgrade recipe's snapshot template, or null when `etcdSnapshot: false` (then `etcd:` is a problem).</summary>
    public static NodeStep.EtcdSnapshot? ForUpgrade(UpgradeDocument upgrade, StepTimeouts timeouts, List<string> problems)
    {
        const string At = "recipe.upgrade-kubernetes";
        if (upgrade.EtcdSnapshot == false)
        {
            if (upgrade.Etcd is not null)
            {
                problems.Add($"{At}.etcd: given, but etcdSnapshot is false (remove one)");
            }

            return null;
        }

        return Parse($"{At}.etcd", upgrade.Etcd, timeouts, problems);
    }
}

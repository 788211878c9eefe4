using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Bench.Load;

/// <summary>
/// Issue 5's rollout at scale: an explicit-steps plan of the upgrade recipe's agent steps (download
/// kubeadm, kubeadm upgrade node, download kubelet and kubectl, daemon-reload, restart kubelet, wait
/// for the kubelet's health) over N simulated nodes whose every step takes a fixed time, in batches
/// of a percentage. The plan needs no Kubernetes API (the recipe's cordon, drain, wait-Ready and
/// uncordon are API actions), so it runs against the real coordinator process. The ideal is the sum
/// over batches of one node's step chain; what is above it is the coordinator's own overhead.
/// </summary>
internal static class RolloutBench
{
    private const int StepsPerNode = 7;

    public static async Task<int> RunAsync(int nodes, TimeSpan stepDuration, int batchPercent, TimeSpan bound, CancellationToken ct)
    {
        using var dir = new TempDir();
        await using var coordinator = new CoordinatorUnderTest(dir.Path, TimeSpan.FromSeconds(5));
        await coordinator.StartAsync(ct);
        await using var fleet = await SimFleet.CreateAsync(coordinator, nodes, stepDuration, ct);
        await fleet.EnrollAllAsync(16, ct);
        fleet.StartAll();
        if (!await fleet.WaitAllConnectedAsync(bound, ct))
        {
            Console.WriteLine($"rollout: only {fleet.ConnectedCount} of {nodes} simulated nodes connected within {bound.TotalSeconds:0} s");
            return 1;
        }

        await coordinator.Control.ApplyCatalogAsync(new ApplyCatalogRequest { Yaml = BenchCatalog.Yaml }, cancellationToken: ct);
        var load = LoadBench.LoadAverage();
        var start = Clock.NowMs;
        var rollout = await coordinator.Control.ApplyRolloutAsync(new ApplyRolloutRequest { Yaml = Plan(batchPercent) }, cancellationToken: ct);
        var deadline = start + bound.TotalMilliseconds;
        while (rollout.State is RolloutState.Running or RolloutState.Aborting && Clock.NowMs < deadline)
        {
            await Task.Delay(50, ct);
            rollout = await coordinator.Control.GetRolloutAsync(new RolloutIdRequest { Id = rollout.Id }, cancellationToken: ct);
        }

        var observed = Clock.NowMs - start;
        if (rollout.State != RolloutState.Succeeded)
        {
            Console.WriteLine($"rollout {rollout.Id}: {rollout.State} after {observed / 1000:0.0} s: {rollout.Reason}");
            return 1;
        }

        var total = (rollout.FinishedAt.ToDateTimeOffset() - rollout.CreatedAt.ToDateTimeOffset()).TotalMilliseconds;
        var ideal = rollout.BatchCount * StepsPerNode * stepDuration.TotalMilliseconds;
        var steps = rollout.Nodes.Sum(n => n.Steps.Count);
        Console.WriteLine($"rollout: {nodes} simulated nodes, {StepsPerNode} agent steps each ({steps} in all) taking {stepDuration.TotalMilliseconds:0} ms each, batches of {batchPercent} % ({rollout.BatchCount} batches); load {load}");
        Console.WriteLine($"  total {total / 1000:0.00} s (created → finished, the coordinator's clock; {observed / 1000:0.00} s as seen by polling)");
        Console.WriteLine($"  ideal {ideal / 1000:0.00} s ({rollout.BatchCount} batches × {StepsPerNode} steps × {stepDuration.TotalMilliseconds:0} ms)");
        Console.WriteLine($"  overhead {(total - ideal) / 1000:0.00} s: {(total - ideal) / rollout.BatchCount:0} ms a batch, {(total - ideal) / (rollout.BatchCount * StepsPerNode):0} ms a step in the chain; load after {LoadBench.LoadAverage()}");
        return 0;
    }

    private static string Plan(int batchPercent) => $$"""
        name: bench-upgrade
        target: {}
        strategy: { batchSize: {{batchPercent}}%, failureThreshold: 1, onFailure: abort, prefetch: false }
        steps:
          - download: { component: kubeadm, version: {{BenchCatalog.Kubernetes}}, dest: /usr/bin/kubeadm }
          - kubeadm-upgrade: { mode: node }
          - download: { component: kubelet, version: {{BenchCatalog.Kubernetes}}, dest: /usr/bin/kubelet }
          - download: { component: kubectl, version: {{BenchCatalog.Kubernetes}}, dest: /usr/bin/kubectl }
          - systemd: { action: daemon-reload }
          - systemd: { action: restart, unit: kubelet.service }
          - wait-kubelet-healthy: {}
        """;
}

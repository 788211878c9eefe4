using Fleet.Ctl.Cluster;
using Fleet.Ctl.Nodes;
using Fleet.Ctl.Output;
using Fleet.Ctl.Rollouts;
using Fleet.Ctl.Run;
using Fleet.Ctl.Tokens;
using Fleet.V1;

namespace Fleet.Ctl.Tests.Output;

/// <summary>Every table fleetctl prints, filled with long free text, control characters and a terminal escape, as a node could send them.</summary>
internal static class EveryTable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 29, 16, 0, 0, TimeSpan.Zero);

    public const string Long = "the kubelet did not become healthy within 5 m: Get http://127.0.0.1:10248/healthz: connection refused; retried 30 times, last at 16:00:00";

    public const string Hostile = "line one\nline two\tand a \u001b[31mred\u001b[0m escape";

    public static IReadOnlyDictionary<string, TableWriter> All()
    {
        var nodes = new[] { Node("odroid-hc1-kitchen-shelf", "arm", Long), Node("x1", "amd64", "ok"), Node("pi4", "arm64", Hostile) };
        var rollout = Rollout();
        var tokens = new[]
        {
            new TokenView("0123456789ab", "valid", 0, 3, Now.AddHours(-1), Now.AddHours(1), new Dictionary<string, string> { ["role"] = "worker", ["rack"] = Long }),
            new TokenView("ba9876543210", "revoked", 1, 1, Now.AddDays(-2), Now.AddDays(-1), new Dictionary<string, string>()),
        };
        var run = new RunProgressView(TextWriter.Null, TerminalInfo.Piped);
        var plan = new RunStepEvent { Plan = new RunPlan() };
        plan.Plan.Steps.Add(new PlannedStep { Node = "pi4", Arch = Arch.Arm64, Url = "http://127.0.0.1/x", Sha256 = new string('a', 64) });
        plan.Plan.Steps.Add(new PlannedStep { Node = "x1", Arch = Arch.Amd64, Url = "http://127.0.0.1/y", Sha256 = new string('b', 64) });
        run.Apply(plan, null);
        run.Apply(new RunStepEvent { Result = new NodeStepResult { Node = "pi4", Result = new StepResult { Outcome = StepOutcome.Failed, Reason = Long + Hostile } } }, null);
        var status = new ClusterStatusView("/var/lib/fleet-coordinator/kubeconfig", "https://10.0.0.1:6443", "v1.12.5",
            [new KubeNodeView("k8s-worker-odroid-hc1-kitchen", "NotReady", "worker", "v1.12.5", "arm", Long, true, true, "odroid")],
            [new MappingView("odroid", "k8s-worker-odroid-hc1-kitchen", "name", true, "arm", "arm64", true, true, "")]);
        var audit = new ClusterAuditView("v1.12.5", ["amd64", "arm"],
            [new WorkloadView("DaemonSet", "kube-system", "kube-flannel-ds-amd64", ["amd64"], ["amd64"], ["arm"], [Long, Hostile])],
            [new CniView("odroid", "failing", Long)],
            [new SkewView("k8s-a", "a", "v1.10.0", Long)],
            [new MappingView("odroid", "k8s-b", "operator", true, "arm", "arm64", false, false, Long + Hostile)]);
        return new Dictionary<string, TableWriter>
        {
            ["nodes list"] = NodeTables.List(nodes, wide: false, Now),
            ["nodes list -o wide"] = NodeTables.List(nodes, wide: true, Now),
            ["nodes get (facts)"] = NodeTables.Facts(nodes[0], Now),
            ["nodes get (checks)"] = NodeTables.Checks(nodes[0]),
            ["token list"] = TokenTables.List(tokens, wide: false, Now),
            ["token list -o wide"] = TokenTables.List(tokens, wide: true, Now),
            ["rollout list"] = RolloutViews.List([rollout, rollout with { Id = "r2", Reason = Hostile }], wide: false, Now),
            ["rollout list -o wide"] = RolloutViews.List([rollout], wide: true, Now),
            ["rollout get"] = RolloutViews.Nodes(rollout),
            ["run (live)"] = run.Progress(),
            ["run (summary)"] = run.Results(),
            ["cluster status (nodes)"] = ClusterTables.KubernetesNodes(status),
            ["cluster status (mappings)"] = ClusterTables.Mappings(status.Mappings),
            ["cluster audit (workloads)"] = ClusterTables.Workloads(audit),
            ["cluster audit (cni)"] = ClusterTables.Cni(audit),
            ["cluster audit (skew)"] = ClusterTables.Skew(audit),
            ["cluster audit (arch labels)"] = ClusterTables.ArchLabels(audit),
        };
    }

    private static NodeView Node(string name, string arch, string reason) => new(
        name, "n-" + name, "online", true, true, arch, arch == "arm" ? "armv7l" : arch, "Hardkernel ODROID-HC1 " + reason[..Math.Min(20, reason.Length)], "Debian GNU/Linux 12 (bookworm)",
        "6.1.0-21-armmp-lpae", 8, 2L << 30, "0.1.0", "binary", "v1.12.5", "v1.12.5", "containerd 1.6.20", ["bridge", "loopback"], new Dictionary<string, string> { ["role"] = "worker", ["fleet.io/zone"] = "kitchen-shelf-" + name }, reason == "ok" ? "ok" : "failing",
        [new CheckView("kubelet", reason == "ok" ? "ok" : "failing", reason)], Now.AddSeconds(-5), Now.AddDays(-3), Now.AddSeconds(-5));

    private static RolloutView Rollout() => new(
        "r1", "upgrade-the-whole-kitchen", "paused", Long, "upgrade-kubernetes v1.12.5", 3, 2, Now.AddHours(-1), Now, null,
        [
            new RolloutNodeView("odroid-hc1-kitchen-shelf", "arm", 2, "failed", Long, Hostile, 0, 0, true,
                [new RolloutStepView(1, "download", "download kubeadm v1.12.5 (arm) to /usr/bin/kubeadm", "http://127.0.0.1/kubeadm", new string('c', 64), "failed", Long, "s1")]),
            new RolloutNodeView("x1", "amd64", 1, "succeeded", "", "", 5 << 20, 10 << 20, false,
                [new RolloutStepView(1, "download", "download kubeadm v1.12.5 (amd64)", "", "", "succeeded", "", "s2")]),
        ]);
}

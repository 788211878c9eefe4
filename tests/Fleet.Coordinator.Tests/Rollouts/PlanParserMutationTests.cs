using System.Text.RegularExpressions;
using Fleet.Coordinator.Rollouts;
using Fleet.Testing.Mutation;
using Xunit.Abstractions;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>
/// Bounded random-mutation run of <see cref="PlanParser"/>: every mutated plan is refused with its problems listed
/// (never an exception), or accepted only when an independent check of the parsed plan holds.
/// </summary>
public sealed partial class PlanParserMutationTests(ITestOutputHelper output)
{
    private const int PerSeed = 500;

    private static readonly string[] Inputs =
    [
        """
        name: workers-1-12-5
        target:
          arch: arm64
          labels: { role: worker }
        strategy:
          batchSize: 20%
          canary: 1
          pauseBetweenBatches: 30s
          failureThreshold: 2
          onFailure: abort
          keepCordoned: true
          timeouts: { drain: 2m, ready: 90s }
        recipe:
          upgrade-kubernetes: { version: v1.12.5 }
        """,
        """
        target: { names: [pi-1, odroid-2] }
        steps:
          - download: { component: kubectl, version: v1.20.2, dest: /usr/local/bin/kubectl, mode: "0750" }
          - kubeadm-upgrade: { mode: node }
          - systemd: { action: restart, unit: kubelet.service }
          - cordon: {}
          - drain: { gracePeriod: 20s }
          - wait-ready: { version: v1.12.5 }
          - uncordon: {}
        """,
        """
        name: join-odroids
        target:
          arch: arm
        strategy:
          maxUnavailable: 2
        recipe:
          join:
            controlPlaneEndpoint: 10.0.0.10:6443
            cniVersion: v1.1.1
        """,
        "target: {}\nrecipe:\n  install-cni: { version: v1.1.1, destDir: /opt/cni/bin }\n",
        """
        target: {}
        strategy:
          windows: ["Sat 02:00-06:00 Europe/Berlin", "Mon-Thu 22:00-02:00 UTC", "Sun,Wed 12:30-13:00 Asia/Kolkata"]
        recipe:
          install-cni: { version: v1.1.1 }
        """,
        """
        target: { labels: { role: worker } }
        strategy:
          batchSize: 2
          gates:
            - nodesReady: { scope: cluster, timeout: 5m }
            - prometheus: { url: "http://127.0.0.1:9090", query: 'sum(up{job="node"} == 0) > 0', for: 1m }
            - http: { url: "https://health.example/ready?deep=1", expectStatus: 204 }
            - soak: 10m
        recipe:
          upgrade-kubernetes: { version: v1.12.5 }
        notifications:
          webhooks:
            - { url: "https://hooks.example/fleet", secret: ops, events: [paused, finished] }
            - { url: "http://127.0.0.1:8081/hook", secret: team-b }
        """,
    ];

    [Fact]
    public async Task MutationRun_EveryMutatedPlan_IsRefusedWithProblemsOrIndependentlyValid()
    {
        foreach (var seed in Inputs)
        {
            var (plan, problems) = PlanParser.Parse(seed);
            Assert.True(plan is not null && problems.Count == 0, $"the seed plan parses: {string.Join("; ", problems)}");
        }

        var run = new MutationRun("PlanParser");
        await run.DriveAsync(PerSeed, (m, i) =>
        {
            run.Judge(m, i, m.Text(Inputs[m.Random.Next(Inputs.Length)]), PlanParser.Parse, Independent);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(180));

        output.WriteLine(run.Summary);
        Assert.True(run.Failures.Count == 0, run.Report);
    }

    /// <summary>What an accepted plan must be, checked here without the parser's code; null when it holds.</summary>
    private static string? Independent(RolloutPlan plan)
    {
        if (plan.Target.Names.FirstOrDefault(n => !NodeName().IsMatch(n)) is { } badName)
        {
            return $"target name \"{badName}\" is not a node name";
        }

        var s = plan.Strategy;
        if (s.BatchSize.Value < 1 || (s.BatchSize.Percent && s.BatchSize.Value > 100) || s.Canary < 0 || s.FailureThreshold.Value < 1
            || (s.MaxUnavailable is { } mu && (mu.Value < 1 || (mu.Percent && mu.Value > 100))) || s.PauseBetweenBatches < TimeSpan.Zero)
        {
            return $"the strategy is out of range: {s}";
        }

        if (s.Windows.FirstOrDefault(w => !WindowText().IsMatch(w.Text) || w.Days.Count == 0 || w.StartMinute is < 0 or > 1439 || w.EndMinute is < 0 or > 1440
            || w.StartMinute == w.EndMinute || !w.Zone.HasIanaId || w.Text.Contains("..", StringComparison.Ordinal)) is { } window)
        {
            return $"window \"{window.Text}\"";
        }

        if (s.Gates.Select(Gate).FirstOrDefault(p => p is not null) is { } gate)
        {
            return gate;
        }

        // A secret is named like a node: a file name in the coordinator's webhook-secrets folder, never a path.
        if (plan.Notifications.Webhooks.FirstOrDefault(w => !HttpUrl(w.Url) || !NodeName().IsMatch(w.Secret)) is { } webhook)
        {
            return $"webhook {webhook.Url} (secret {webhook.Secret})";
        }

        var t = s.Timeouts;
        if (new[] { t.Download, t.Kubeadm, t.Systemd, t.Drain, t.Ready, t.KubeletHealthy }.Any(x => x <= TimeSpan.Zero))
        {
            return $"a timeout is not positive: {t}";
        }

        return plan.Recipe switch
        {
            UpgradeRecipe u => !Version().IsMatch(u.Version) ? $"version {u.Version}" : !SafePath(u.BinDir) ? $"binDir {u.BinDir}" : null,
            InstallCniRecipe c => !Version().IsMatch(c.Version) ? $"version {c.Version}" : !SafePath(c.DestDir) ? $"destDir {c.DestDir}" : null,
            JoinRecipe j => (j.Version is { } v && !Version().IsMatch(v)) || !Version().IsMatch(j.CniVersion) ? "a join version"
                : !Endpoint().IsMatch(j.ControlPlaneEndpoint) || !int.TryParse(j.ControlPlaneEndpoint[(j.ControlPlaneEndpoint.LastIndexOf(':') + 1)..], out var port) || port is < 1 or > 65535 ? $"endpoint {j.ControlPlaneEndpoint}"
                : !SafePath(j.BinDir) ? $"binDir {j.BinDir}" : null,
            StepsRecipe steps => steps.Steps.Count == 0 ? "no steps" : steps.Steps.Select(Step).FirstOrDefault(p => p is not null),
            _ => "an unknown recipe",
        };
    }

    private static string? Gate(Fleet.Coordinator.Rollouts.Gates.Gate gate) => gate switch
    {
        Fleet.Coordinator.Rollouts.Gates.NodesReadyGate n => n.Timeout < TimeSpan.FromSeconds(1) || n.Timeout > TimeSpan.FromHours(24) ? $"nodesReady timeout {n.Timeout}" : null,
        Fleet.Coordinator.Rollouts.Gates.SoakGate g => g.Duration < TimeSpan.FromSeconds(1) || g.Duration > TimeSpan.FromHours(24) ? $"soak {g.Duration}" : null,
        Fleet.Coordinator.Rollouts.Gates.PrometheusGate p => !HttpUrl(p.Url) || p.Url.Query.Length > 0 ? $"prometheus url {p.Url}"
            : p.Query.Trim().Length == 0 || p.Query.Length > 4096 || p.Query.Any(char.IsControl) ? $"prometheus query {p.Query}"
            : p.For < TimeSpan.Zero || p.For > TimeSpan.FromHours(24) ? $"prometheus for {p.For}" : null,
        Fleet.Coordinator.Rollouts.Gates.HttpGate h => !HttpUrl(h.Url) ? $"http url {h.Url}" : h.ExpectStatus is < 100 or > 599 ? $"http status {h.ExpectStatus}" : null,
        _ => $"an unknown gate {gate}",
    };

    /// <summary>Absolute http or https with a host, no user or password, no fragment.</summary>
    private static bool HttpUrl(Uri url) =>
        url.IsAbsoluteUri && url.Scheme is "http" or "https" && url.Host.Length > 0 && url.UserInfo.Length == 0 && url.Fragment.Length == 0;

    private static string? Step(NodeStep s)
    {
        if (s.Timeout <= TimeSpan.Zero)
        {
            return $"step {s.Kind}: timeout {s.Timeout}";
        }

        return s switch
        {
            NodeStep.Download d => d.Dest is null || !SafePath(d.Dest) ? $"download dest {d.Dest}" : d.Mode > 0x1FF ? $"download mode {d.Mode}" : d.Version is null || !Version().IsMatch(d.Version) ? $"download version {d.Version}" : null,
            NodeStep.InstallCni c => c.Dest is null || !SafePath(c.Dest) ? $"install-cni destDir {c.Dest}" : null,
            NodeStep.Systemd sd => sd.SystemdAction is not ("daemon-reload" or "restart" or "enable" or "enable-now") ? $"systemd action {sd.SystemdAction}"
                : sd.SystemdAction != "daemon-reload" && (sd.Unit is null || sd.Unit.StartsWith('-') || sd.Unit.Any(char.IsWhiteSpace)) ? $"systemd unit {sd.Unit}" : null,
            NodeStep.KubeadmUpgrade u => u.UpgradeMode is not ("apply" or "node") ? $"kubeadm mode {u.UpgradeMode}" : null,
            NodeStep.KubeadmJoin j => j.ControlPlaneEndpoint is null || !Endpoint().IsMatch(j.ControlPlaneEndpoint) ? $"join endpoint {j.ControlPlaneEndpoint}" : null,
            NodeStep.Cordon or NodeStep.Drain or NodeStep.Uncordon or NodeStep.WaitReady or NodeStep.WaitKubeletHealthy => null,
            _ => $"unknown step kind {s.Kind}",
        };
    }

    [GeneratedRegex(@"^ *[A-Za-z,\-]+ +[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2} +[A-Za-z0-9_+\-/]+ *$")]
    private static partial Regex WindowText();

    private static bool SafePath(string path) => path.StartsWith('/') && !path.Split('/').Contains("..") && !path.Contains('\0');

    [GeneratedRegex("^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")]
    private static partial Regex NodeName();

    [GeneratedRegex(@"^v\d+\.\d+\.\d+$")]
    private static partial Regex Version();

    [GeneratedRegex(@"^[^\s:/]+:\d+$|^\[[0-9a-fA-F:.]+\]:\d+$")]
    private static partial Regex Endpoint();
}

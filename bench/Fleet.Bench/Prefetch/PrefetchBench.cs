using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Fleet.Bench.Load;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;
using Fleet.V1;

namespace Fleet.Bench.Prefetch;

/// <summary>
/// Issue 14: how long each node stays cordoned during an upgrade, before and after prefetch. Both runs
/// are real: the coordinator in this process with the Kubernetes API double (cordon and uncordon are
/// real PATCHes through KubernetesClient), real agents with the kubeadm and systemctl doubles, and an
/// artifact server slowed to a fixed rate so that download time matters. "before" is an explicit
/// `steps:` plan in the old order (kubelet and kubectl downloaded after the cordon) with
/// `strategy.prefetch: false`; "after" is the upgrade recipe, which stages every binary first. A node
/// counts as cordoned from the first poll (every 20 ms) that sees spec.unschedulable until the first
/// that no longer does.
/// </summary>
internal static class PrefetchBench
{
    private const string From = "v1.12.0";
    private const string To = "v1.12.5";
    private static readonly string[] Binaries = ["kubeadm", "kubelet", "kubectl"];

    public static async Task<int> RunAsync(int nodes, int sizeMiB, int kibPerSecond, TimeSpan bound, CancellationToken ct)
    {
        Console.WriteLine($"prefetch: {nodes} nodes upgraded one at a time, 3 binaries of {sizeMiB} MiB each served at {kibPerSecond} KiB/s ({sizeMiB * 1024.0 / kibPerSecond:0.0} s a download); load {LoadBench.LoadAverage()}");
        var before = await RunOnceAsync("before", OldOrderPlan, nodes, sizeMiB, kibPerSecond, bound, ct);
        var after = await RunOnceAsync("after", RecipePlan, nodes, sizeMiB, kibPerSecond, bound, ct);
        if (before is null || after is null)
        {
            return 1;
        }

        Console.WriteLine($"  cordoned per node, mean: before {before.Value.Mean / 1000:0.00} s, after {after.Value.Mean / 1000:0.00} s ({(1 - after.Value.Mean / before.Value.Mean) * 100:0} % less); load after {LoadBench.LoadAverage()}");
        return 0;
    }

    private static async Task<(double Mean, double Max)?> RunOnceAsync(string label, string plan, int count, int sizeMiB, int kibPerSecond, TimeSpan bound, CancellationToken ct)
    {
        using var dir = new TempDir();
        await using var kube = await FakeKubeApiServer.StartAsync(Path.Join(dir.Path, "kube"), To);
        var options = TestCoordinator.OptionsIn(dir.Path);
        options.Kubeconfig = kube.KubeconfigPath;
        await using var coordinator = await TestCoordinator.StartAsync(options);
        var (arch, machine) = HostArch();
        var files = Binaries.ToDictionary(b => b, _ => Elf(machine, sizeMiB << 20));
        await using var server = await ThrottledArtifactServer.StartAsync(files, kibPerSecond * 1024L);
        var control = new ControlService.ControlServiceClient(coordinator.ControlChannel());

        var nodes = new List<BenchNode>();
        try
        {
            for (var i = 1; i <= count; i++)
            {
                var node = new BenchNode($"w{i}", coordinator.AgentUri, dir.Path);
                nodes.Add(node);
                kube.AddNode(node.Name, arch, From);
                await node.StartAsync(await coordinator.CreateTokenAsync(uses: 1), coordinator.CaPin, ct);
            }

            await Eventually.Until(async () => await ConnectedAsync(control, ct), n => n == count, "every bench node is connected", bound);
            await control.ApplyCatalogAsync(new ApplyCatalogRequest { Yaml = Catalog(server.BaseUrl, arch, files) }, cancellationToken: ct);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var cordoned = nodes.ToDictionary(n => n.Name, _ => new List<double>());
            var watcher = WatchAsync(kube, nodes, cordoned, stop.Token);
            var clock = Stopwatch.StartNew();
            var rollout = await control.ApplyRolloutAsync(new ApplyRolloutRequest { Yaml = plan }, cancellationToken: ct);
            while (rollout.State is RolloutState.Running or RolloutState.Aborting && clock.Elapsed < bound)
            {
                await Task.Delay(50, ct);
                rollout = await control.GetRolloutAsync(new RolloutIdRequest { Id = rollout.Id }, cancellationToken: ct);
            }

            var total = clock.Elapsed.TotalSeconds;
            await Task.Delay(100, ct); // one more poll sees the last uncordon
            await stop.CancelAsync();
            await watcher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (rollout.State != RolloutState.Succeeded)
            {
                Console.WriteLine($"  {label}: rollout {rollout.State} after {total:0.0} s: {rollout.Reason}");
                return null;
            }

            var per = cordoned.Select(c => (c.Key, Ms: c.Value.Sum())).ToArray();
            Console.WriteLine($"  {label,-6} ({(label == "before" ? "steps: in the old order, prefetch: false" : "upgrade-kubernetes recipe, prefetch first")}): rollout {total:0.00} s; cordoned {string.Join(", ", per.Select(p => $"{p.Key} {p.Ms / 1000:0.00} s"))}");
            return (per.Average(p => p.Ms), per.Max(p => p.Ms));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>Polls the API double: cordoned intervals per node; plays the kubelets (Ready at the new version once restarted).</summary>
    private static async Task WatchAsync(FakeKubeApiServer kube, List<BenchNode> nodes, Dictionary<string, List<double>> cordoned, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var since = new Dictionary<string, double>();
        var restarted = new HashSet<string>();
        while (!ct.IsCancellationRequested)
        {
            foreach (var node in nodes)
            {
                var now = clock.Elapsed.TotalMilliseconds;
                var unschedulable = kube.Node(node.Name)?["spec"]?["unschedulable"] is { } u && (bool)u;
                if (unschedulable && !since.ContainsKey(node.Name))
                {
                    since[node.Name] = now;
                }
                else if (!unschedulable && since.Remove(node.Name, out var start))
                {
                    cordoned[node.Name].Add(now - start);
                }

                if (!restarted.Contains(node.Name) && node.Doubles.Calls("systemctl").Contains("restart kubelet.service"))
                {
                    restarted.Add(node.Name);
                    kube.SetNodeStatus(node.Name, ready: true, To);
                }
            }

            await Task.Delay(20, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task<int> ConnectedAsync(ControlService.ControlServiceClient control, CancellationToken ct)
    {
        var connected = 0;
        using var call = control.ListNodes(new ListNodesRequest(), cancellationToken: ct);
        while (await call.ResponseStream.MoveNext(ct))
        {
            connected += call.ResponseStream.Current.Connected ? 1 : 0;
        }

        return connected;
    }

    private static string Catalog(string baseUrl, string arch, Dictionary<string, byte[]> files) =>
        "components:\n" + string.Concat(files.Select(f =>
            $"  {f.Key}:\n    kind: binary\n    url: {baseUrl}/files/{f.Key}\n    versions:\n      {To}: {{ {arch}: {{ sha256: {Convert.ToHexStringLower(SHA256.HashData(f.Value))} }} }}\n"));

    private static readonly string OldOrderPlan = $$"""
        name: before
        target: {}
        strategy: { batchSize: 1, failureThreshold: 1, onFailure: abort, prefetch: false }
        steps:
          - download: { component: kubeadm, version: {{To}}, dest: /usr/bin/kubeadm }
          - kubeadm-upgrade: { mode: node }
          - cordon: {}
          - drain: {}
          - download: { component: kubelet, version: {{To}}, dest: /usr/bin/kubelet }
          - download: { component: kubectl, version: {{To}}, dest: /usr/bin/kubectl }
          - systemd: { action: daemon-reload }
          - systemd: { action: restart, unit: kubelet.service }
          - wait-ready: { version: {{To}} }
          - uncordon: {}
        """;

    private static readonly string RecipePlan = $$"""
        name: after
        target: {}
        strategy: { batchSize: 1, failureThreshold: 1, onFailure: abort }
        recipe:
          upgrade-kubernetes: { version: {{To}} }
        """;

    private static (string Arch, ushort Machine) HostArch() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.Arm64 => ("arm64", Fleet.Agent.Steps.ElfMachine.AArch64),
        Architecture.Arm => ("arm", Fleet.Agent.Steps.ElfMachine.Arm),
        _ => ("amd64", Fleet.Agent.Steps.ElfMachine.X86_64),
    };

    /// <summary>An ELF header for <paramref name="machine"/>, then random bytes: a binary the agent accepts, of a given size.</summary>
    private static byte[] Elf(ushort machine, int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        bytes[0] = 0x7F;
        bytes[1] = (byte)'E';
        bytes[2] = (byte)'L';
        bytes[3] = (byte)'F';
        bytes[4] = 2; // 64-bit
        bytes[5] = 1; // little-endian
        bytes[6] = 1;
        bytes[16] = 2; // ET_EXEC
        bytes[17] = 0;
        bytes[18] = (byte)machine;
        bytes[19] = (byte)(machine >> 8);
        return bytes;
    }
}

using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet.Testing;
using Fleet.Testing.NetNamespaces;
using Xunit.Abstractions;

namespace Fleet.IntegrationTests.Partitions;

/// <summary>
/// A link outage between an agent and everything it talks to, with real processes in network
/// namespaces: namespace S holds the coordinator and a throttled artifact server (a real HTTP server
/// with Range), namespace A the agent, joined by a veth pair; fleetctl reaches the coordinator over its
/// unix socket from the host. Addresses exist only inside the namespaces (ENVIRONMENT.md "Network").
/// The link goes down for 20 s in the middle of a download: longer than the agent's old budget of five
/// attempts (about 15 s of backoff), shorter than the step's timeout; or in the middle of a step that ends during
/// the outage, so its result can only reach the coordinator after it.
/// </summary>
public sealed class PartitionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int CoordinatorPort = 7443;
    private const int ArtifactPort = 8080;
    private const string NodeName = "edge-1";
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);

    /// <summary>How long `systemctl restart` takes on the node: the step ends in the middle of the outage.</summary>
    private const int RestartSeconds = 8;

    private readonly TempDir _dir = new();
    private readonly List<IAsyncDisposable> _cleanup = [];
    private VethPair _link = null!;
    private NamespacedProcess _coordinator = null!;
    private NamespacedProcess _artifacts = null!;
    private NamespacedProcess _agent = null!;
    private TestDoubles _doubles = null!;

    private string Socket => _dir.Combine("control.sock");

    private string AgentRoot => _dir.Combine("node");

    private string ArtifactLog => _dir.Combine("artifacts.log");

    /// <summary>Written by the slow systemctl when a restart begins (the double itself records the call when it ends).</summary>
    private string RestartBegun => _dir.Combine("restart-begun");

    public async Task InitializeAsync()
    {
        var s = await NetNamespace.CreateAsync("s");
        _cleanup.Add(s);
        var a = await NetNamespace.CreateAsync("a");
        _cleanup.Add(a);
        _link = await VethPair.CreateAsync(s, a);

        _coordinator = NamespacedProcess.Start(s, _dir.Combine("coordinator.log"), CoordinatorProcess.Executable,
            "--listen", $"{_link.AddressA}:{CoordinatorPort}", "--tls-san", _link.AddressA, "--data-dir", _dir.Combine("data"),
            "--socket", Socket, "--metrics-listen", "off", "--heartbeat-interval", "1s");
        _cleanup.Insert(0, _coordinator);
        await Eventually.Until(async () => _coordinator.HasExited || (await Fleetctl.RunAsync("token", "list", "--socket", Socket)).ExitCode == 0, ok => ok, "the coordinator's control socket answers");
        Assert.False(_coordinator.HasExited, _coordinator.Log());

        _artifacts = NamespacedProcess.Start(s, ArtifactLog, "python3",
            Path.Join(Repo.Root, "tests/Fleet.Testing/NetNamespaces/throttled-artifact-server.py"),
            _link.AddressA, $"{ArtifactPort}", Fixtures.Require(Fixtures.Artifacts), $"{2_000_000}", ArtifactLog);
        _cleanup.Insert(0, _artifacts);
        await Eventually.Until(() => File.Exists(ArtifactLog) && File.ReadAllText(ArtifactLog).Contains("listening", StringComparison.Ordinal) || _artifacts.HasExited, "the artifact server listens");
        Assert.False(_artifacts.HasExited, _artifacts.Log());

        await StartAgentAsync(a);
    }

    /// <summary>fleet-agent as a process in namespace A: enroll (token on standard input), then run.</summary>
    private async Task StartAgentAsync(NetNamespace a)
    {
        var token = await Fleetctl.RunAsync("token", "create", "--uses", "1", "--socket", Socket);
        Assert.Equal(0, token.ExitCode);
        string Field(string name) => Regex.Match(token.Stdout, $@"^{name}:\s+(\S+)$", RegexOptions.Multiline).Groups[1].Value;

        // The sandbox sees the real kernel files, as the demo's agents do; everything it writes stays in it.
        Directory.CreateDirectory(Path.Join(AgentRoot, "etc"));
        File.Copy("/etc/os-release", Path.Join(AgentRoot, "etc/os-release"));
        File.CreateSymbolicLink(Path.Join(AgentRoot, "proc"), "/proc");
        File.CreateSymbolicLink(Path.Join(AgentRoot, "sys"), "/sys");
        var agent = Repo.BuildOutput("agent", "fleet-agent");
        _doubles = new TestDoubles(_dir.Combine("doubles"), AgentRoot);
        var systemctl = _dir.Combine("doubles/systemctl-slow-restart");
        // `systemctl restart` takes RestartSeconds (the step is in flight on the node meanwhile); every other call
        // (the kubelet health check's `show`) answers at once. Both go to the double, which records them.
        // The double records a call when it runs, after the sleep; the marker says the restart has begun.
        File.WriteAllText(systemctl, $"#!/bin/sh\nif [ \"$1\" = restart ]; then echo begun >> '{RestartBegun}'; sleep {RestartSeconds}; fi\nexec '{_doubles.Systemctl}' \"$@\"\n");
        File.SetUnixFileMode(systemctl, (UnixFileMode)0b111_101_101);
        var coordinator = $"https://{_link.AddressA}:{CoordinatorPort}";
        var enroll = await ProcessRun.RunWithInputAsync("ip",
            ["netns", "exec", a.Name, agent, "enroll", "--coordinator", coordinator, "--token", "-", "--ca-pin", Field("ca-pin"), "--name", NodeName, "--root", AgentRoot],
            Field("token") + "\n");
        Assert.True(enroll.Code == 0, $"enroll failed: {enroll.Output}");

        _agent = NamespacedProcess.Start(a, _dir.Combine("agent.log"), agent,
            "--coordinator", coordinator, "--name", NodeName, "--root", AgentRoot,
            "--systemctl-path", systemctl, // the double: the host's systemd is not this node's
            "--download-stall-timeout", "2s");
        _cleanup.Insert(0, _agent);
        await Eventually.Until(() => NodeAsync(), n => n is { } node && node.Str("status") == "online" && node.GetProperty("connected").GetBoolean() || _agent.HasExited, "the agent connects");
        Assert.False(_agent.HasExited, _agent.Log());
    }

    public async Task DisposeAsync()
    {
        output.WriteLine($"agent log:\n{_agent?.Log()}\nartifact server log:\n{_artifacts?.Log()}");
        foreach (var item in _cleanup)
        {
            await item.DisposeAsync(); // processes first, then the namespaces
        }

        _dir.Dispose();
    }

    [Fact]
    public async Task LinkDownMidDownload_StepRidesItOut_ResumesWithRange_NodeStaleThenOnline_SucceedsOnce()
    {
        var catalog = _dir.Combine("catalog.yaml");
        await File.WriteAllTextAsync(catalog, Fixtures.Catalog($"http://{_link.AddressA}:{ArtifactPort}"));
        Assert.Equal(0, (await Fleetctl.RunAsync("catalog", "apply", "-f", catalog, "--socket", Socket)).ExitCode);
        var kubectl = Fixtures.Kubectl("amd64");
        var size = new FileInfo(Path.Join(Fixtures.Artifacts, kubectl)).Length;

        // On a thread of its own: fleetctl's progress view writes synchronously while the run lasts.
        var run = Task.Run(() => Fleetctl.RunAsync("run", "download", "--component", "kubectl", "--version", Fixtures.KubectlVersion,
            "--dest", "/usr/local/bin/kubectl", "--timeout", "5m", "--socket", Socket));
        var destDir = Path.Join(AgentRoot, "usr/local/bin");
        await Eventually.Until(() => PartBytes(destDir) > size / 8 || run.IsCompleted, "the download is in progress", TimeSpan.FromSeconds(60));
        if (run.IsCompleted)
        {
            Assert.Fail($"the run ended before the outage: {(await run).Stdout}");
        }

        var before = PartBytes(destDir);
        await _link.DownAsync();
        var down = DateTime.UtcNow;
        output.WriteLine($"link down at {before} of {size} bytes; files: {string.Join(", ", Directory.GetFiles(destDir))}");
        await Eventually.Until(() => NodeAsync(), n => n?.Str("status") is "stale" or "offline", "the coordinator shows the node stale", Outage);
        var left = Outage - (DateTime.UtcNow - down);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left); // the outage itself, not a measurement
        }

        await _link.UpAsync();
        var result = await run.WaitAsync(TimeSpan.FromMinutes(5));
        output.WriteLine(result.Stdout);
        Assert.True(result.ExitCode == 0, $"{result.Stdout}{result.Stderr}\nagent log:\n{_agent.Log()}\nartifact log:\n{File.ReadAllText(ArtifactLog)}");

        await Eventually.Until(() => NodeAsync(), n => n is { } node && node.Str("status") == "online" && node.GetProperty("connected").GetBoolean(), "the node is online again");

        // The file is the artifact, continued from where the outage cut it, not fetched again whole.
        var installed = Path.Join(destDir, "kubectl");
        Assert.Equal(Fixtures.Sha256(kubectl), Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(installed))));
        var requests = File.ReadAllLines(ArtifactLog).Where(l => l.StartsWith($"start /files/{kubectl} ", StringComparison.Ordinal)).ToArray();
        output.WriteLine(string.Join('\n', requests));
        Assert.Single(requests, r => r.EndsWith(" range=-", StringComparison.Ordinal));
        Assert.Contains(requests, r => Regex.IsMatch(r, @" range=bytes=[1-9][0-9]*-$"));

        // Exactly once: one result journaled on the node (beside the one replace it journaled first), one install logged by the rollout.
        var journal = File.ReadAllLines(Path.Join(AgentRoot, "var/lib/fleet-agent/steps.journal")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Single(journal, e => e.TryGetProperty("replaced", out _));
        Assert.Equal(1, Assert.Single(journal, e => e.TryGetProperty("id", out _)).GetProperty("outcome").GetInt32());
        var rollout = Regex.Match(result.Stdout, @"rollout (\S+): fleetctl rollout logs").Groups[1].Value;
        var logs = await Fleetctl.RunAsync("rollout", "logs", rollout, "--socket", Socket);
        Assert.Equal(0, logs.ExitCode);
        Assert.Single(Regex.Matches(logs.Stdout, "installed /usr/local/bin/kubectl \\(sha256"));
        Assert.Contains("resuming ", logs.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkDownMidStream_AStepThatEndsDuringTheOutage_IsReportedAfterIt_AndRanOnce()
    {
        var plan = _dir.Combine("restart.yaml");
        await File.WriteAllTextAsync(plan, $$"""
            target: { names: [{{NodeName}}] }
            steps:
              - systemd: { action: restart, unit: kubelet.service }
            """);
        var apply = await Fleetctl.RunAsync("rollout", "apply", "-f", plan, "--socket", Socket);
        Assert.True(apply.ExitCode == 0, apply.Stdout + apply.Stderr);
        var id = Regex.Match(apply.Stdout, @"rollout (r[0-9]+) started").Groups[1].Value;
        Assert.NotEqual("", id);
        string[] Restarts() => [.. _doubles.Calls("systemctl").Where(c => c == "restart kubelet.service")];
        await Eventually.Until(() => File.Exists(RestartBegun), "systemctl restart is running on the node", TimeSpan.FromSeconds(60));
        Assert.Empty(Restarts()); // begun, not ended: the step is in flight when the link goes down

        await _link.DownAsync(); // the step is in flight; it ends while the link is still down
        var down = DateTime.UtcNow;
        await Eventually.Until(() => NodeAsync(), n => n?.Str("status") is "stale" or "offline", "the coordinator shows the node stale", Outage);
        var stale = await RolloutAsync(id);
        Assert.Equal("running", stale.Str("state")); // no result has reached the coordinator: the step is not failed for it
        var left = Outage - (DateTime.UtcNow - down);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left); // the outage itself, not a measurement
        }

        await _link.UpAsync();
        var done = await Eventually.Until(() => RolloutAsync(id), r => r.Str("state") is "succeeded" or "failed" or "paused", "the rollout ends after the link is back", TimeSpan.FromMinutes(2));
        Assert.True(done.Str("state") == "succeeded", $"{done}\nagent log:\n{_agent.Log()}");
        await Eventually.Until(() => NodeAsync(), n => n is { } node && node.Str("status") == "online" && node.GetProperty("connected").GetBoolean(), "the node is online again");

        Assert.Single(Restarts()); // the step ran once; the coordinator's re-send after the reconnect was answered from the journal
        var journal = File.ReadAllLines(Path.Join(AgentRoot, "var/lib/fleet-agent/steps.journal"));
        Assert.Equal(1, JsonDocument.Parse(Assert.Single(journal)).RootElement.GetProperty("outcome").GetInt32());
    }

    /// <summary>`fleetctl rollout get ID -o json`.</summary>
    private async Task<JsonElement> RolloutAsync(string id)
    {
        var get = await Fleetctl.RunAsync("rollout", "get", id, "-o", "json", "--socket", Socket);
        Assert.True(get.ExitCode == 0, get.Stdout + get.Stderr);
        return JsonDocument.Parse(get.Stdout).RootElement.Clone();
    }

    private static long PartBytes(string dir) =>
        Directory.Exists(dir) ? new DirectoryInfo(dir).EnumerateFiles().Where(f => f.Name.StartsWith(".fleet-", StringComparison.Ordinal)).Sum(f => f.Length) : 0;

    /// <summary>`fleetctl nodes get edge-1 -o json`, or null before it is known.</summary>
    private async Task<JsonElement?> NodeAsync()
    {
        var get = await Fleetctl.RunAsync("nodes", "get", NodeName, "-o", "json", "--socket", Socket);
        return get.ExitCode == 0 ? JsonDocument.Parse(get.Stdout).RootElement.Clone() : null;
    }
}

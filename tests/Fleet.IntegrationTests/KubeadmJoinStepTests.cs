using System.Collections.Concurrent;
using System.Diagnostics;
using Fleet.Agent.Configuration;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Hosting;
using Fleet.Coordinator.Steps;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.IntegrationTests;

/// <summary>
/// A KubeadmJoin step from the real coordinator to a real fleet-agent process (enrolled, mTLS) that
/// runs the kubeadm double of tests/doubles through its wrapper (the agent passes none of its own
/// environment on: FLEET_TOKEN, the settings and any other secret stay with it), configured the way
/// it would be under systemd (FLEET_* variables).
/// </summary>
public sealed class KubeadmJoinStepTests : IAsyncLifetime
{
    private const string Token = "fleet1.0123456789abcdef";
    private const string TokenSecret = "0123456789abcdef";
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;
    private Process? _agent;

    private string Root => _dir.Combine("node-1");

    private const string AgentSecret = "hunter2-in-the-agents-environment-only";

    private TestDoubles? _doubles;

    private string DoubleDir => Doubles.Dir;

    private TestDoubles Doubles => _doubles ??= new TestDoubles(_dir.Combine("kubeadm-double"), Root);

    private string AgentLog => _dir.Combine("agent.log");

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));

    public async Task DisposeAsync()
    {
        if (_agent is { HasExited: false })
        {
            _agent.Kill(entireProcessTree: true);
            await _agent.WaitForExitAsync().DefaultTimeout();
        }

        _agent?.Dispose();
        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>`fleet-agent enroll`, then the agent itself, as their own processes; its output goes to <see cref="AgentLog"/>.</summary>
    private async Task<string> StartAgentAsync()
    {
        Directory.CreateDirectory(Root);
        var enroll = await ProcessRun.RunAsync(
            "dotnet",
            [AgentDll(), "enroll", "--coordinator", _coordinator.AgentUri.ToString(), "--token", await _coordinator.CreateTokenAsync(uses: 1), "--ca-pin", _coordinator.CaPin, "--name", "node-1", "--root", Root],
            unset: "FLEET_COORDINATOR");
        Assert.True(enroll.Code == 0, enroll.Output);

        // The shell sends the agent's output to a file, so no pipe needs draining; exec keeps one PID.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "exec dotnet \"$@\" >>\"$FLEET_TEST_LOG\" 2>&1", "sh", AgentDll(), "--coordinator", _coordinator.AgentUri.ToString(), "--name", "node-1", "--root", Root })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FLEET_TEST_LOG"] = AgentLog;
        start.Environment["FLEET_KUBEADM_PATH"] = Doubles.Kubeadm;
        start.Environment["FLEET_TOKEN"] = "0123456789ab." + AgentSecret; // as a unit's Environment= could set it
        start.Environment["SOME_SERVICE_PASSWORD"] = AgentSecret;
        start.Environment.Remove("FLEET_COORDINATOR");
        _agent = Process.Start(start)!;

        await Eventually.Until(
            () => Fleetctl.NodesAsync(_coordinator.Socket),
            n => n.Any(x => x.Str("name") == "node-1" && x.GetProperty("connected").GetBoolean()) || _agent.HasExited,
            "the agent process connects");
        Assert.False(_agent.HasExited, $"the agent exited: {Log()}");
        var credentials = new NodeCredentials(new HostPaths(new AgentOptions { Root = Root }));
        credentials.Load();
        return credentials.NodeId;
    }

    private string Log() => File.Exists(AgentLog) ? File.ReadAllText(AgentLog) : "(no log)";

    private string[] Calls() => File.Exists(Path.Join(DoubleDir, "kubeadm.calls")) ? File.ReadAllLines(Path.Join(DoubleDir, "kubeadm.calls")) : [];

    private async Task<(StepResult Result, List<StepUpdate> Updates)> RunAsync(string nodeId, StepRequest request)
    {
        var updates = new ConcurrentQueue<StepUpdate>();
        var result = await _coordinator.Service<StepDispatcher>().RunAsync(
            nodeId,
            request,
            update =>
            {
                updates.Enqueue(update);
                return ValueTask.CompletedTask;
            },
            TimeSpan.FromSeconds(60),
            CancellationToken.None).DefaultTimeout();
        return (result, updates.ToList());
    }

    private static StepRequest Join(string id) => new()
    {
        Id = id,
        Timeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(1)),
        KubeadmJoin = new KubeadmJoinStep { ControlPlaneEndpoint = "10.96.0.1:6443", Token = Token, CaCertHashes = { "sha256:" + new string('c', 64) } },
    };

    [Fact]
    public async Task KubeadmJoin_ThroughTheCoordinator_RunsTheDoubleOnce_AndTheTokenIsInNoLog()
    {
        var nodeId = await StartAgentAsync();

        var (result, updates) = await RunAsync(nodeId, Join("join-1"));

        Assert.True(result.Outcome == StepOutcome.Succeeded, $"{result}\nagent log:\n{Log()}");
        Assert.Equal("joined the cluster at 10.96.0.1:6443 as a worker", result.Reason);
        var call = Assert.Single(Calls());
        Assert.Matches($"^join --config {System.Text.RegularExpressions.Regex.Escape(Root)}/var/lib/fleet-agent/\\.fleet-kubeadm-[0-9a-f]{{32}}/join\\.yaml$", call);
        Assert.Contains($"    token: \"{Token}\"\n    caCertHashes:\n    - \"sha256:{new string('c', 64)}\"\n", Doubles.JoinConfig(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Join(Root, "etc/kubernetes/kubelet.conf")));
        Assert.Empty(Directory.GetDirectories(Path.Join(Root, "var/lib/fleet-agent"), ".fleet-kubeadm-*"));
        var lines = updates.SelectMany(u => u.LogLines).ToList();
        Assert.Contains(lines, l => l.EndsWith($"kubeadm {call}", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("with token \"[redacted]\"", StringComparison.Ordinal)); // the double printed it; the agent scrubbed it

        // The same join again (a new step id): the node has joined, kubeadm is not run again.
        var (again, _) = await RunAsync(nodeId, Join("join-2"));
        Assert.Equal(StepOutcome.AlreadySatisfied, again.Outcome);
        Assert.Single(Calls());

        var log = await Eventually.Until(() => Task.FromResult(Log()), l => l.Contains("Step join-2 finished: AlreadySatisfied", StringComparison.Ordinal), "the agent logs the second join");
        Assert.Contains("Step join-1 (KubeadmJoin) started", log, StringComparison.Ordinal);
        Assert.Contains($"kubeadm {call}", log, StringComparison.Ordinal);
        Assert.Contains("Step join-1 finished: Succeeded joined the cluster at 10.96.0.1:6443 as a worker", log, StringComparison.Ordinal);
        var places = new Dictionary<string, string>
        {
            ["agent log"] = log,
            ["step journal"] = await File.ReadAllTextAsync(Path.Join(Root, "var/lib/fleet-agent/steps.journal")),
            ["step updates"] = string.Join('\n', updates),
            ["results"] = $"{result}\n{again}",
            ["coordinator log"] = string.Join('\n', _coordinator.Logs.Messages),
        };
        foreach (var (place, text) in places)
        {
            Assert.False(text.Contains(TokenSecret, StringComparison.Ordinal), $"the token's secret is in the {place}:\n{text}");
        }
    }

    [Fact]
    public async Task KubeadmJoin_KubeadmFails_TheNodeReportsTheExitCodeAndItsLastStderrLine()
    {
        var nodeId = await StartAgentAsync();
        await File.WriteAllTextAsync(Path.Join(DoubleDir, "kubeadm.exit"), "1\n");
        await File.WriteAllTextAsync(Path.Join(DoubleDir, "kubeadm.stderr"), $"error execution phase preflight: couldn't validate the identity of the API Server: token id \"{Token}\" is invalid for this cluster or it has expired\n");

        var (result, _) = await RunAsync(nodeId, Join("join-1"));

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Equal("kubeadm join exited with code 1: error execution phase preflight: couldn't validate the identity of the API Server: token id \"[redacted]\" is invalid for this cluster or it has expired", result.Reason);
        Assert.False(File.Exists(Path.Join(Root, "etc/kubernetes/kubelet.conf")));
        Assert.Single(Calls());
        var log = await Eventually.Until(() => Task.FromResult(Log()), l => l.Contains("Step join-1 finished: Failed", StringComparison.Ordinal), "the agent logs the failure");
        Assert.DoesNotContain(TokenSecret, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubeadmJoin_WhileKubeadmRuns_NoSecretIsInItsCmdlineOrEnviron()
    {
        // What a local user can read of the running kubeadm (/proc/PID/cmdline), and what it inherited
        // (/proc/PID/environ): neither the join token nor anything of the agent's own environment.
        var nodeId = await StartAgentAsync();
        Doubles.Sleep("kubeadm", 60);
        var running = RunAsync(nodeId, Join("join-1"));
        var pid = await Eventually.Until(() => Task.FromResult(Doubles.Pid("kubeadm")), p => p is not null, "kubeadm runs");
        var cmdline = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var environ = (await File.ReadAllTextAsync($"/proc/{pid}/environ")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var config = cmdline[^1];
        var configMode = File.GetUnixFileMode(config);
        var folderMode = File.GetUnixFileMode(Path.GetDirectoryName(config)!);
        using (var kubeadm = Process.GetProcessById(pid!.Value))
        {
            kubeadm.Kill(entireProcessTree: true); // the double, started for this test by its agent
        }

        var (result, _) = await running;

        Assert.Equal(["join", "--config"], cmdline[^3..^1]);
        foreach (var secret in new[] { Token, TokenSecret, AgentSecret })
        {
            Assert.DoesNotContain(cmdline, a => a.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(environ, v => v.Contains(secret, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(environ, v => v.StartsWith("FLEET_TOKEN=", StringComparison.Ordinal) || v.StartsWith("FLEET_KUBEADM_PATH=", StringComparison.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, configMode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, folderMode);
        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.StartsWith("kubeadm join exited with code ", result.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(config)), "the configuration goes with the run that needed it");
    }

    /// <summary>fleet-agent.dll in the agent's own build output (see AgentFailureTests).</summary>
    private static string AgentDll() => Repo.BuildOutput("agent", "fleet-agent.dll");
}

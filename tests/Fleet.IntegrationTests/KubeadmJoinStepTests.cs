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
/// runs the kubeadm double of tests/doubles: the double's environment and the agent's kubeadm path
/// reach it the way they would under systemd (FLEET_* variables, inherited by the child).
/// </summary>
public sealed class KubeadmJoinStepTests : IAsyncLifetime
{
    private const string Token = "fleet1.0123456789abcdef";
    private const string TokenSecret = "0123456789abcdef";
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;
    private Process? _agent;

    private string Root => _dir.Combine("node-1");

    private string DoubleDir => _dir.Combine("kubeadm-double");

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
        Directory.CreateDirectory(DoubleDir);
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
        start.Environment["FLEET_KUBEADM_PATH"] = TestDoubles.PathOf("kubeadm");
        start.Environment["FLEET_DOUBLE_DIR"] = DoubleDir;
        start.Environment["FLEET_DOUBLE_ROOT"] = Root;
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
        Assert.Equal([$"join 10.96.0.1:6443 --token {Token} --discovery-token-ca-cert-hash sha256:{new string('c', 64)}"], Calls());
        Assert.True(File.Exists(Path.Join(Root, "etc/kubernetes/kubelet.conf")));
        var lines = updates.SelectMany(u => u.LogLines).ToList();
        Assert.Contains(lines, l => l.EndsWith($"tests/doubles/kubeadm join 10.96.0.1:6443 --token [redacted] --discovery-token-ca-cert-hash sha256:{new string('c', 64)}", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("with token \"[redacted]\"", StringComparison.Ordinal)); // the double printed it; the agent scrubbed it

        // The same join again (a new step id): the node has joined, kubeadm is not run again.
        var (again, _) = await RunAsync(nodeId, Join("join-2"));
        Assert.Equal(StepOutcome.AlreadySatisfied, again.Outcome);
        Assert.Single(Calls());

        var log = await Eventually.Until(() => Task.FromResult(Log()), l => l.Contains("Step join-2 finished: AlreadySatisfied", StringComparison.Ordinal), "the agent logs the second join");
        Assert.Contains("Step join-1 (KubeadmJoin) started", log, StringComparison.Ordinal);
        Assert.Contains("--token [redacted] --discovery-token-ca-cert-hash", log, StringComparison.Ordinal);
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

    /// <summary>fleet-agent.dll in the agent's own build output (see AgentFailureTests).</summary>
    private static string AgentDll() => Repo.BuildOutput("agent", "fleet-agent.dll");
}

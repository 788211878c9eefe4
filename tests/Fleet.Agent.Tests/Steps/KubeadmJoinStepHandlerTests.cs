using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Agent.Tests.Steps;

/// <summary>KubeadmJoin against the kubeadm double (a real process): its arguments, its secrets, its failures.</summary>
public sealed class KubeadmJoinStepHandlerTests : IDisposable
{
    private const string Token = "abcdef.0123456789abcdef";
    private const string TokenSecret = "0123456789abcdef";
    private const string CertificateKey = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";
    private static readonly string Hash = "sha256:" + new string('a', 64);
    private static readonly string OtherHash = "sha256:" + new string('b', 64);
    private readonly DoubleHarness _h = new();

    public void Dispose() => _h.Dispose();

    private KubeadmJoinStepHandler Handler() => new(_h.Process(), _h.Root.Paths(_h.Options), _h.Options);

    private static StepRequest Join(Action<KubeadmJoinStep>? change = null, string id = "join-1")
    {
        var step = new KubeadmJoinStep { ControlPlaneEndpoint = "10.0.0.1:6443", Token = Token, CaCertHashes = { Hash } };
        change?.Invoke(step);
        return new StepRequest { Id = id, KubeadmJoin = step, Timeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) };
    }

    private Task<StepResult> Run(StepRequest request) => Handler().RunAsync(request, _h.Progress(request.Id), CancellationToken.None).DefaultTimeout();

    /// <summary>The one call kubeadm got: `join --config FILE`, FILE in a private folder of the state folder, gone afterwards.</summary>
    private string SingleConfigCall()
    {
        var call = Assert.Single(_h.Calls("kubeadm"));
        var match = System.Text.RegularExpressions.Regex.Match(call, @"^join --config (?<file>\S+/\.fleet-kubeadm-[0-9a-f]{32}/join\.yaml)$");
        Assert.True(match.Success, call);
        Assert.StartsWith(_h.Root.Paths(_h.Options).StateDir + "/", match.Groups["file"].Value, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(match.Groups["file"].Value)), "the folder of kubeadm's configuration is removed once kubeadm is done");
        return call;
    }

    [Fact]
    public async Task Run_Worker_RunsKubeadmJoinWithAJoinConfigurationAndLeavesKubeletConf()
    {
        var result = await Run(Join());

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("joined the cluster at 10.0.0.1:6443 as a worker", result.Reason);
        Assert.DoesNotContain(TokenSecret, SingleConfigCall(), StringComparison.Ordinal);
        Assert.Equal(
            $"apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: \"10.0.0.1:6443\"\n    token: \"{Token}\"\n    caCertHashes:\n    - \"{Hash}\"\n",
            _h.Doubles.JoinConfig());
        Assert.True(File.Exists(_h.Root.Resolve("/etc/kubernetes/kubelet.conf")));
    }

    [Fact]
    public async Task Run_ControlPlane_ConfigHasEveryHashTheKeyAndTheNodeName()
    {
        var result = await Run(Join(s =>
        {
            s.ControlPlaneEndpoint = "cp.fleet.lan:6443";
            s.CaCertHashes.Add(OtherHash);
            s.ControlPlane = true;
            s.CertificateKey = CertificateKey;
            s.NodeName = "cp-2";
        }));

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("joined the cluster at cp.fleet.lan:6443 as a control-plane node", result.Reason);
        SingleConfigCall();
        Assert.Equal(
            $"apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: \"cp.fleet.lan:6443\"\n    token: \"{Token}\"\n    caCertHashes:\n    - \"{Hash}\"\n    - \"{OtherHash}\"\n" +
            $"nodeRegistration:\n  name: \"cp-2\"\ncontrolPlane:\n  certificateKey: \"{CertificateKey}\"\n",
            _h.Doubles.JoinConfig());
    }

    [Fact]
    public async Task Run_Ipv6Endpoint_IsPassedAsGiven()
    {
        await Run(Join(s => s.ControlPlaneEndpoint = "[fd00::1]:6443"));

        SingleConfigCall();
        Assert.Contains("    apiServerEndpoint: \"[fd00::1]:6443\"\n", _h.Doubles.JoinConfig(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WhileKubeadmRuns_NoSecretIsInItsCommandLineOrEnvironment_AndItsConfigIsPrivate()
    {
        // What any local user can read of a running kubeadm: /proc/PID/cmdline (world-readable).
        // /proc/PID/environ is root's only, but what is not there cannot leak through a child either.
        var agentSecretName = $"FLEET_TEST_SECRET_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(agentSecretName, "hunter2-agent-only");
        try
        {
            _h.Sleep("kubeadm", 30);
            using var cts = new CancellationTokenSource();
            var running = Handler().RunAsync(Join(s => (s.ControlPlane, s.CertificateKey) = (true, CertificateKey)), _h.Progress(), cts.Token);
            var pid = await Eventually.Until(() => Task.FromResult(_h.Pid("kubeadm")), p => p is not null, "the kubeadm double starts");
            var cmdline = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            var environ = (await File.ReadAllTextAsync($"/proc/{pid}/environ")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            var config = cmdline[^1];
            var configMode = File.GetUnixFileMode(config);
            var folderMode = File.GetUnixFileMode(Path.GetDirectoryName(config)!);

            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.DefaultTimeout());

            Assert.Equal(["join", "--config"], cmdline[^3..^1]);
            foreach (var secret in new[] { Token, TokenSecret, CertificateKey })
            {
                Assert.DoesNotContain(cmdline, a => a.Contains(secret, StringComparison.Ordinal));
                Assert.DoesNotContain(environ, v => v.Contains(secret, StringComparison.Ordinal));
            }

            Assert.DoesNotContain(environ, v => v.StartsWith(agentSecretName, StringComparison.Ordinal)); // the agent's environment is not passed on
            Assert.Contains(environ, v => v.StartsWith("PATH=", StringComparison.Ordinal)); // what a program needs is
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, configMode);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, folderMode);
            Assert.False(Directory.Exists(Path.GetDirectoryName(config)), "a cancelled join removes its configuration too");
        }
        finally
        {
            Environment.SetEnvironmentVariable(agentSecretName, null);
        }
    }

    [Fact]
    public async Task Run_KubeletConfExists_IsAlreadySatisfiedAndRunsNothing()
    {
        _h.Root.Write("/etc/kubernetes/kubelet.conf", "apiVersion: v1\n");

        var result = await Run(Join());

        Assert.Equal(StepOutcome.AlreadySatisfied, result.Outcome);
        Assert.Equal("/etc/kubernetes/kubelet.conf exists: this node has already joined a cluster", result.Reason);
        Assert.Empty(_h.Calls("kubeadm"));
    }

    [Fact]
    public async Task Run_Twice_TheSecondIsAlreadySatisfied()
    {
        await Run(Join(id: "join-1"));

        var again = await Run(Join(id: "join-2"));

        Assert.Equal(StepOutcome.AlreadySatisfied, again.Outcome);
        Assert.Single(_h.Calls("kubeadm"));
    }

    [Fact]
    public async Task Run_KubeadmFails_ReasonHasTheExitCodeAndTheLastStderrLine_WithoutTheToken()
    {
        _h.Fail("kubeadm", 1, $"[preflight] Running pre-flight checks\nerror execution phase preflight: couldn't validate the identity of the API Server: token {Token} was rejected\n");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Join()));

        Assert.Equal("kubeadm join exited with code 1: error execution phase preflight: couldn't validate the identity of the API Server: token [redacted] was rejected", ex.Message);
        Assert.False(File.Exists(_h.Root.Resolve("/etc/kubernetes/kubelet.conf")));
        Assert.Contains("error execution phase preflight: couldn't validate the identity of the API Server: token [redacted] was rejected", _h.LogLines());
    }

    [Fact]
    public async Task Run_KubeadmExitsZeroButLeavesNoKubeletConf_Fails()
    {
        _h.Fail("kubeadm", 0);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Join()));

        Assert.Equal("kubeadm join exited 0 but /etc/kubernetes/kubelet.conf does not exist: the node did not join", ex.Message);
        Assert.Single(_h.Calls("kubeadm"));
    }

    [Fact]
    public async Task Run_TheSecrets_AppearNowhereButInKubeadmsConfiguration()
    {
        // The whole agent path: the runner, its journal on disk, the outbox, the agent's log.
        var request = Join(s =>
        {
            s.ControlPlane = true;
            s.CertificateKey = CertificateKey;
        });

        var result = await _h.Runner(Handler()).Start(request, CancellationToken.None).DefaultTimeout();

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Contains($"token: \"{Token}\"", _h.Doubles.JoinConfig(), StringComparison.Ordinal); // kubeadm got it, in its configuration
        var messages = string.Join('\n', _h.Messages().Select(m => m.ToString()));
        var places = new Dictionary<string, string>
        {
            ["updates and result"] = messages,
            ["journal"] = await File.ReadAllTextAsync(_h.JournalFile),
            ["agent log"] = _h.AgentLogText(),
            ["result"] = result.ToString(),
        };
        foreach (var (place, text) in places)
        {
            foreach (var secret in new[] { Token, TokenSecret, CertificateKey })
            {
                Assert.False(text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"a secret is in the {place}:\n{text}");
            }
        }

        // kubeadm's own lines that held the secrets were forwarded, scrubbed.
        Assert.Contains("with token \\\"[redacted]\\\"", messages, StringComparison.Ordinal);
        Assert.Contains("with key [redacted]", messages, StringComparison.Ordinal);
        Assert.Contains("kubeadm join --config ", _h.AgentLogText(), StringComparison.Ordinal);
        Assert.Contains("This node has joined the cluster:", messages, StringComparison.Ordinal);
    }

    public static TheoryData<string, Action<KubeadmJoinStep>, string> InvalidInputs => new()
    {
        { "no endpoint", s => s.ControlPlaneEndpoint = "", "control_plane_endpoint: missing" },
        { "no port", s => s.ControlPlaneEndpoint = "10.0.0.1", "control_plane_endpoint: \"10.0.0.1\" is not host:port" },
        { "port 0", s => s.ControlPlaneEndpoint = "10.0.0.1:0", "is not host:port" },
        { "port too big", s => s.ControlPlaneEndpoint = "10.0.0.1:70000", "is not host:port" },
        { "an option", s => s.ControlPlaneEndpoint = "--config=/tmp/x:6443", "is not host:port" },
        { "a space", s => s.ControlPlaneEndpoint = "cp lan:6443", "is not host:port" },
        { "bad ipv6", s => s.ControlPlaneEndpoint = "[fd00::zz]:6443", "is not host:port" },
        { "no token", s => s.Token = "", "token: missing" },
        { "uppercase token", s => s.Token = "ABCDEF.0123456789ABCDEF", "token: not a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16} (23 characters; the value is a secret and is not shown)" },
        { "short token", s => s.Token = "abcdef.0123", "token: not a bootstrap token" },
        { "token with newline", s => s.Token = Token + "\n", "token: not a bootstrap token" },
        { "no hash", s => s.CaCertHashes.Clear(), "ca_cert_hashes: missing (Fleet never joins without checking the cluster CA)" },
        { "md5 hash", s => s.CaCertHashes[0] = "md5:abc", "ca_cert_hashes: \"md5:abc\" is not sha256:<64 lowercase hex digits>" },
        { "short hash", s => s.CaCertHashes[0] = "sha256:abc", "is not sha256:<64 lowercase hex digits>" },
        { "key without control plane", s => s.CertificateKey = CertificateKey, "certificate_key: given, but control_plane is false" },
        { "bad key", s => (s.ControlPlane, s.CertificateKey) = (true, "not-hex-" + new string('0', 56)), "certificate_key: not 64 lowercase hex digits (64 characters; the value is a secret and is not shown)" },
        { "bad node name", s => s.NodeName = "Node_1", "node_name: \"Node_1\" is not a valid node name" },
    };

    [Theory]
    [MemberData(nameof(InvalidInputs))]
    public async Task Run_InvalidInput_IsRefusedBeforeAnythingRuns(string what, Action<KubeadmJoinStep> change, string problem)
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Join(change)));

        Assert.StartsWith("refusing to run kubeadm join: ", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Contains(problem, StringComparison.Ordinal), $"{what}: {ex.Message}");
        Assert.DoesNotContain(TokenSecret, ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_h.Calls("kubeadm"));
        Assert.Empty(_h.LogLines());
    }

    [Fact]
    public async Task Run_SeveralProblems_AreAllNamedAtOnce()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Join(s => (s.ControlPlaneEndpoint, s.Token, s.NodeName) = ("", "", "-x"))));

        Assert.Equal("refusing to run kubeadm join: control_plane_endpoint: missing (host:port of the API server); token: missing; node_name: \"-x\" is not a valid node name (lowercase letters, digits, '-' and '.', at most 63, starting and ending with a letter or digit)", ex.Message);
    }

    [Fact]
    public async Task Run_InvalidInputOnAJoinedNode_IsStillRefused()
    {
        _h.Root.Write("/etc/kubernetes/kubelet.conf", "apiVersion: v1\n");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Join(s => s.Token = "nope")));

        Assert.StartsWith("refusing to run kubeadm join: token: not a bootstrap token", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_KubeadmNotAtTheConfiguredPath_SaysWhereItLookedAndWhichSetting()
    {
        _h.Options.KubeadmPath = _h.Root.Resolve("/nowhere/kubeadm");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Join()));

        Assert.Equal($"cannot run kubeadm join: no kubeadm at {_h.Root.Resolve("/nowhere/kubeadm")} (set it with --kubeadm-path)", ex.Message);
    }

    [Fact]
    public async Task Run_KubeadmNotOnPath_SaysSo()
    {
        _h.Options.KubeadmPath = "fleet-no-such-kubeadm";

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(Join()));

        Assert.StartsWith("cannot run kubeadm join: no fleet-no-such-kubeadm on PATH (", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith(") (set it with --kubeadm-path)", ex.Message, StringComparison.Ordinal);
    }
}

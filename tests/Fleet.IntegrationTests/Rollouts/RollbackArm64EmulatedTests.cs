using System.Diagnostics;
using System.Security.Cryptography;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Steps;
using Fleet.Testing;
using Xunit.Abstractions;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// `fleetctl rollout rollback` of a succeeded upgrade over an amd64 agent and the published linux-arm64 agent (Native AOT)
/// running under qemu-aarch64 with an arm64 sysroot, each with the kubeadm and systemctl doubles and a kubelet healthz
/// double: the upgrade installs each node's own arch, the rollback puts each node's previous binaries back (the arm64
/// agent restores from its own journal). Emulated, so one coarse test.
/// </summary>
public sealed class RollbackArm64EmulatedTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string From = "v1.12.0";
    private const string To = "v1.12.5";
    private static readonly string[] Binaries = ["kubeadm", "kubelet", "kubectl"];
    private readonly CancellationTokenSource _stop = new();
    private KubernetesRolloutHarness _h = null!;
    private KubeletHealthzDouble _healthz = null!;
    private Process? _arm64;
    private Task? _armKubelet;

    public async Task InitializeAsync()
    {
        _h = await KubernetesRolloutHarness.StartAsync(From);
        _healthz = await KubeletHealthzDouble.StartAsync(() => true);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_armKubelet is not null)
        {
            await _armKubelet.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_arm64 is { HasExited: false })
        {
            _arm64.Kill(entireProcessTree: true);
            await _arm64.WaitForExitAsync().DefaultTimeout();
        }

        _arm64?.Dispose();
        await _h.DisposeAsync();
        await _healthz.DisposeAsync();
        _stop.Dispose();
    }

    private string ArmRoot => _h.Dir.Combine("pi-arm64");

    private string ArmLog => _h.Dir.Combine("pi-arm64.log");

    private string Log() => File.Exists(ArmLog) ? File.ReadAllText(ArmLog) : "(no log)";

    private static void WritePrevious(string root, string name)
    {
        Directory.CreateDirectory(Path.Join(root, "usr/bin"));
        foreach (var binary in Binaries)
        {
            File.WriteAllText(Path.Join(root, "usr/bin", binary), $"#!/bin/sh\necho {binary} {From} on {name}\n");
        }
    }

    private static Dictionary<string, string> Shas(string root) =>
        Binaries.ToDictionary(b => b, b => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Join(root, "usr/bin", b)))));

    /// <summary>The published arm64 fleet-agent under qemu with the doubles and the healthz double, enrolled, then running.</summary>
    private async Task<TestDoubles> StartArm64AgentAsync()
    {
        WritePrevious(ArmRoot, "pi-arm64");
        var doubles = new TestDoubles(_h.Dir.Combine("pi-arm64-doubles"), ArmRoot);
        var started = Stopwatch.StartNew();
        var enroll = await ProcessRun.RunWithInputAsync(
            "qemu-aarch64",
            [
                "-L", Fixtures.Require(Fixtures.Sysroot), Fixtures.Require(Fixtures.Arm64Agent), "enroll",
                "--coordinator", _h.Coordinator.AgentUri.ToString(), "--token", "-", "--ca-pin", _h.Coordinator.CaPin,
                "--name", "pi-arm64", "--root", ArmRoot,
            ],
            await _h.Coordinator.CreateTokenAsync(uses: 1) + "\n",
            EnrollmentClient.ConnectDeadline + TimeSpan.FromSeconds(30));
        output.WriteLine($"the emulated arm64 agent enrolled in {started.Elapsed.TotalSeconds:0.0} s (exit {enroll.Code})");
        Assert.True(enroll.Code == 0, $"the arm64 agent could not enroll: {enroll.Output}");

        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        string[] args =
        [
            "-c", "exec qemu-aarch64 -L \"$0\" \"$@\" >>\"$FLEET_TEST_LOG\" 2>&1",
            Fixtures.Require(Fixtures.Sysroot), Fixtures.Require(Fixtures.Arm64Agent),
            "--coordinator", _h.Coordinator.AgentUri.ToString(), "--name", "pi-arm64", "--root", ArmRoot,
            "--kubeadm-path", doubles.Kubeadm, "--systemctl-path", doubles.Systemctl, "--kubelet-healthz-url", _healthz.Url,
        ];
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FLEET_TEST_LOG"] = ArmLog;
        _arm64 = Process.Start(start)!;
        _h.Kube.AddNode("pi-arm64", "arm64", From);
        await Eventually.Until(
            () => Fleetctl.NodesAsync(_h.Coordinator.Socket),
            n => n.Any(x => x.Str("name") == "pi-arm64" && x.GetProperty("connected").GetBoolean()) || _arm64.HasExited,
            "the emulated arm64 agent connects",
            TimeSpan.FromSeconds(90));
        Assert.False(_arm64.HasExited, $"the arm64 agent exited: {Log()}");
        return doubles;
    }

    /// <summary>The arm64 node's kubelet: Ready at v1.12.5 after its first restart, at v1.12.0 after its second.</summary>
    private async Task KubeletAsync(TestDoubles doubles, CancellationToken ct)
    {
        var seen = 0;
        while (!ct.IsCancellationRequested)
        {
            var restarts = doubles.Calls("systemctl").Count(c => c == "restart kubelet.service");
            if (restarts > seen && restarts <= 2)
            {
                seen = restarts;
                _h.Kube.SetNodeStatus("pi-arm64", ready: true, restarts == 1 ? To : From);
            }

            await Task.Delay(100, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [Fact]
    public async Task RollbackOfAnUpgrade_OverAnAmd64AndAnEmulatedArm64Agent_ReturnsBoth()
    {
        var amd = await _h.NodeAsync("w-amd", "x86_64", "amd64", configure: agent =>
        {
            agent.Options.KubeletHealthzUrl = _healthz.Url;
            WritePrevious(agent.Root, "w-amd");
        });
        var armDoubles = await StartArm64AgentAsync();
        var amdPrevious = Shas(amd.Agent.Root);
        var armPrevious = Shas(ArmRoot);
        await _h.ApplyCatalogAsync("components:\n" + _h.BinariesCatalog([To]));
        _h.Kube.ServerVersion = To; // the control plane is at v1.12.5 already
        _h.RunKubelets([To, From]);
        _armKubelet = KubeletAsync(armDoubles, _stop.Token);

        var upgrade = await _h.CtlAsync("rollout", "apply", "--watch", "-f", await _h.PlanFileAsync($$"""
            target: { names: [w-amd, pi-arm64] }
            strategy: { batchSize: 2 }
            recipe:
              upgrade-kubernetes: { version: {{To}} }
            """));
        Assert.True(upgrade.ExitCode == 0, $"{upgrade.Stdout}{upgrade.Stderr}\n{(await _h.CtlAsync("rollout", "logs", "r1")).Stdout}\nagent log:\n{Log()}");
        Assert.Equal(ElfMachine.AArch64, ElfMachine.Read(Path.Join(ArmRoot, "usr/bin/kubelet")));
        Assert.Equal(ElfMachine.X86_64, ElfMachine.Read(Path.Join(amd.Agent.Root, "usr/bin/kubelet")));

        var rollback = await _h.CtlAsync("rollout", "rollback", "r1");
        Assert.True(rollback.ExitCode == 0, rollback.Stdout + rollback.Stderr);
        Assert.Contains("rollout r2 started: rollback of r1 on 2 node(s)", rollback.Stdout);
        var watched = await _h.CtlAsync("rollout", "watch", "r2");

        Assert.True(watched.ExitCode == 0, $"{watched.Stdout}\n{(await _h.CtlAsync("rollout", "logs", "r2")).Stdout}\nagent log:\n{Log()}");
        Assert.Equal(amdPrevious, Shas(amd.Agent.Root));
        Assert.Equal(armPrevious, Shas(ArmRoot));
        Assert.Equal((From, From), (_h.KubeletVersion("w-amd"), _h.KubeletVersion("pi-arm64")));
        var logs = (await _h.CtlAsync("rollout", "logs", "r2", "--node", "pi-arm64")).Stdout;
        Assert.Contains("restored /usr/bin/kubelet", logs);
    }
}

using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Rollouts.Gates;
using Fleet.Coordinator.Tests.Kubernetes;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts.Gates;

/// <summary>
/// The nodesReady gate through the real KubernetesClient against the in-process Kubernetes API double (TEST DOUBLE:
/// no kube-apiserver runs here): targeted means the rollout's nodes that have started, cluster every node listed.
/// </summary>
public sealed class NodesReadyGateTests : IAsyncLifetime
{
    private KubeHarness _k = null!;
    private RolloutRig _rig = null!;
    private RolloutRun _run = null!;

    public async Task InitializeAsync()
    {
        _k = await KubeHarness.StartAsync();
        _rig = await RolloutRig.StartAsync(["w1", "w2"], startEngine: false);
        _run = await _rig.CreateRunAsync("""
            target: { names: [w1, w2] }
            strategy: { batchSize: 1 }
            steps:
              - systemd: { action: restart, unit: kubelet.service }
            """);
        await _rig.Transitions.SetNodeAsync(_run, "w1", RolloutNodeState.Succeeded, "", CancellationToken.None); // batch 1 ran
    }

    public async Task DisposeAsync()
    {
        _run.Dispose();
        await _rig.DisposeAsync();
        await _k.DisposeAsync();
    }

    private Task<string?> CheckAsync(GateScope scope, TimeSpan timeout) =>
        new NodesReadyGateCheck(new Provider(_k.Cluster)).CheckAsync(new NodesReadyGate(scope, timeout), _run, CancellationToken.None).DefaultTimeout();

    [Fact]
    public async Task Targeted_ChecksTheNodesThatRan_NotThoseStillPending()
    {
        _k.Api.AddNode("w1", kubeletVersion: "v1.12.0");
        _k.Api.AddNode("w2", kubeletVersion: "v1.12.0", ready: false); // pending: not this gate's business yet
        _k.Api.AddNode("other", kubeletVersion: "v1.12.0", ready: false);
        Assert.Null(await CheckAsync(GateScope.Targeted, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Targeted_ANodeNotReady_FailsAtTheTimeout_NamingIt()
    {
        _k.Api.AddNode("w1", kubeletVersion: "v1.12.0", ready: false);
        var why = await CheckAsync(GateScope.Targeted, TimeSpan.FromSeconds(1));
        Assert.Equal("1 of 1 node(s) not Ready: node w1 was not Ready within 00:00:01: last seen NotReady at kubelet v1.12.0", why);
    }

    [Fact]
    public async Task Targeted_ANodeThatBecomesReadyWithinTheTimeout_Passes()
    {
        _k.Api.AddNode("w1", kubeletVersion: "v1.12.0", ready: false);
        var check = CheckAsync(GateScope.Targeted, TimeSpan.FromSeconds(60));
        await Eventually.Until(() => _k.Api.OpenWatches == 1, "the gate watches w1");
        _k.Api.SetNodeStatus("w1", ready: true);
        Assert.Null(await check);
    }

    [Fact]
    public async Task Cluster_ChecksEveryNodeListed()
    {
        _k.Api.AddNode("w1", kubeletVersion: "v1.12.0");
        _k.Api.AddNode("other", kubeletVersion: "v1.12.0", ready: false);
        var why = await CheckAsync(GateScope.Cluster, TimeSpan.FromSeconds(1));
        Assert.StartsWith("1 of 2 node(s) not Ready: node other was not Ready within 00:00:01", why);
    }

    [Fact]
    public async Task NoCluster_FailsTheGate()
    {
        var why = await new NodesReadyGateCheck(new Provider(null)).CheckAsync(new NodesReadyGate(GateScope.Targeted, TimeSpan.FromSeconds(1)), _run, CancellationToken.None).DefaultTimeout();
        Assert.Equal("no Kubernetes cluster is configured (fleet-coordinator --kubeconfig): nodesReady cannot be checked", why);
    }

    private sealed class Provider(IKubernetesCluster? cluster) : IKubernetesClusterProvider
    {
        public ValueTask<IKubernetesCluster?> GetAsync(CancellationToken ct) => ValueTask.FromResult(cluster);
    }
}

using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>One machine of a <see cref="KubernetesRolloutHarness"/>: its agent, its kubeadm and systemctl doubles, and its Kubernetes arch (amd64, arm64, arm).</summary>
public sealed record KubeTestNode(TestAgent Agent, TestDoubles Doubles, string Arch);

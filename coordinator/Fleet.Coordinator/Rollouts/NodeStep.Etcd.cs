using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

public abstract partial record NodeStep
{
    /// <summary>
    /// An etcd snapshot on the node (`etcdctl snapshot save`, verified, sha256, the newest <see cref="Keep"/> kept):
    /// in the upgrade recipe before the first control-plane node's `kubeadm upgrade apply` (each hop's), and in plans.
    /// Empty members are the agent's defaults (<see cref="EtcdSnapshotInputs"/>).
    /// </summary>
    public sealed record EtcdSnapshot : AgentStep
    {
        [JsonIgnore]
        public override string Kind => StepKinds.EtcdSnapshot;

        public string Endpoint { get; init; } = "";

        public string Dir { get; init; } = "";

        public int Keep { get; init; }

        public string CertDir { get; init; } = "";

        public override string Describe(string kubeNode, Arch arch) =>
            $"etcd snapshot of {(Endpoint.Length > 0 ? Endpoint : EtcdSnapshotInputs.DefaultEndpoint)} into {(Dir.Length > 0 ? Dir : $"/var/lib/fleet-agent/{EtcdSnapshotInputs.DefaultDirName}")} (newest {(Keep > 0 ? Keep : EtcdSnapshotInputs.DefaultKeep)} kept)";

        protected override void Fill(StepRequest request) => request.EtcdSnapshot = new EtcdSnapshotStep { Endpoint = Endpoint, Dir = Dir, Keep = Keep, CertDir = CertDir };
    }
}

using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

public abstract partial record NodeStep
{
    /// <summary>
    /// Puts back every file <see cref="Rollout"/> replaced on the node, from the agent's own journal (the coordinator sends
    /// no list): each kept copy verified by sha256, then renamed into place. Empty <see cref="Rollout"/>: the rollout the
    /// step belongs to (an automatic rollback's tail, <see cref="RollbackTail"/>); `fleetctl rollout rollback r3` names r3.
    /// </summary>
    public sealed record RestorePrevious : AgentStep
    {
        [JsonIgnore]
        public override string Kind => StepKinds.RestorePrevious;

        /// <summary>"r3", or "" for this rollout.</summary>
        public string Rollout { get; init; } = "";

        public override string Describe(string kubeNode, Arch arch) =>
            Rollout.Length == 0 ? "restore the files this rollout replaced" : $"restore the files rollout {Rollout} replaced";

        protected override void Fill(StepRequest request) => request.RestorePrevious = new RestorePreviousStep { RolloutId = Rollout };
    }
}

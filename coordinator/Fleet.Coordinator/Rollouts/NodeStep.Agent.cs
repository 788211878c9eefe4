using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

public abstract partial record NodeStep
{
    /// <summary>`kubeadm join`: sent to the agent with a bootstrap token made just in time, so it is not an <see cref="AgentStep"/>.</summary>
    public sealed record KubeadmJoin : NodeStep
    {
        [JsonIgnore]
        public override string Kind => StepKinds.KubeadmJoin;

        [JsonIgnore]

        public override bool RunsOnAgent => true;

        [JsonIgnore]

        public override bool NeedsKubernetes => true;

        public string ControlPlaneEndpoint { get; init; } = "";

        public bool ControlPlane { get; init; }

        public override string Describe(string kubeNode, Arch arch) => $"kubeadm join {ControlPlaneEndpoint}{(ControlPlane ? " --control-plane" : "")}";

        /// <summary>The request, with the secrets that are never stored.</summary>
        public StepRequest ToRequest(string stepId, string token, string caCertHash, string nodeName)
        {
            var request = new StepRequest
            {
                Id = stepId,
                Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(Timeout),
                KubeadmJoin = new KubeadmJoinStep { ControlPlaneEndpoint = ControlPlaneEndpoint, Token = token, ControlPlane = ControlPlane, NodeName = nodeName },
            };
            request.KubeadmJoin.CaCertHashes.Add(caCertHash);
            return request;
        }
    }

    /// <summary>`kubeadm upgrade apply vX -y` (<see cref="UpgradeMode"/> "apply") or `kubeadm upgrade node` ("node").</summary>
    public sealed record KubeadmUpgrade : AgentStep
    {
        public const string Apply = "apply";
        public const string Node = "node";

        [JsonIgnore]

        public override string Kind => StepKinds.KubeadmUpgrade;

        public string UpgradeMode { get; init; } = Node;

        public string? Version { get; init; }

        public override string Describe(string kubeNode, Arch arch) => UpgradeMode == Apply ? $"kubeadm upgrade apply {Version} -y" : "kubeadm upgrade node";

        protected override void Fill(StepRequest request) => request.KubeadmUpgrade = new KubeadmUpgradeStep
        {
            Mode = UpgradeMode == Apply ? KubeadmUpgradeMode.Apply : KubeadmUpgradeMode.Node,
            Version = Version ?? "",
        };
    }

    /// <summary>systemctl: daemon-reload | restart | enable | enable-now (<see cref="Actions"/>).</summary>
    public sealed record Systemd : AgentStep
    {
        public static readonly IReadOnlyList<string> Actions = ["daemon-reload", "restart", "enable", "enable-now"];

        [JsonIgnore]

        public override string Kind => StepKinds.Systemd;

        public string SystemdAction { get; init; } = "restart";

        public string? Unit { get; init; }

        public override string Describe(string kubeNode, Arch arch) =>
            SystemdAction == "daemon-reload" ? "systemctl daemon-reload" : $"systemctl {(SystemdAction == "enable-now" ? "enable --now" : SystemdAction)} {Unit}";

        protected override void Fill(StepRequest request) => request.Systemd = new SystemdStep
        {
            Action = SystemdAction switch
            {
                "daemon-reload" => Fleet.V1.SystemdAction.DaemonReload,
                "enable" => Fleet.V1.SystemdAction.Enable,
                "enable-now" => Fleet.V1.SystemdAction.EnableNow,
                "restart" => Fleet.V1.SystemdAction.Restart,
                _ => throw new InvalidOperationException($"systemd action \"{SystemdAction}\" is not one of {string.Join(", ", Actions)}"),
            },
            Unit = Unit ?? "",
        };
    }

    public sealed record WaitKubeletHealthy : AgentStep
    {
        [JsonIgnore]
        public override string Kind => StepKinds.WaitKubeletHealthy;

        public override string Describe(string kubeNode, Arch arch) => "wait until the kubelet is healthy";

        protected override void Fill(StepRequest request) => request.WaitKubeletHealthy = new WaitKubeletHealthyStep();
    }
}

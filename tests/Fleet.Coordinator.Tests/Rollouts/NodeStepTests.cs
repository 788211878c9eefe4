using System.Text.Json;
using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>Each step kind: YAML → typed step → StepRequest, description, where it runs, and its stored JSON (today's form and the earlier flat form).</summary>
public class NodeStepTests
{
    private static NodeStep Parse(string stepYaml)
    {
        var (plan, problems) = PlanParser.Parse($"target: {{}}\nsteps:\n  - {stepYaml}\n");
        Assert.Empty(problems);
        return Assert.IsType<StepsRecipe>(plan!.Recipe).Steps.Single();
    }

    private static NodeStep RoundTrip(NodeStep step) => JsonSerializer.Deserialize<NodeStep>(JsonSerializer.Serialize(step))!;

    private static readonly ResolvedArtifact Kubectl = new("kubectl", ComponentKinds.Binary, "v1.20.2", Arch.Arm64, "https://dl.example/arm64/kubectl", new string('e', 64));

    [Fact]
    public void Download_MapsToAnExecutableDownloadWithTheResolvedUrl_AndDefaultsTo0755()
    {
        var step = Assert.IsType<NodeStep.Download>(Parse("download: { component: kubectl, version: v1.20.2, dest: /usr/local/bin/kubectl }"));
        var resolved = Assert.IsType<NodeStep.Download>(step.Resolved(Kubectl));

        var whole = resolved.ToRequest("r1-n-pi-0", "r1");
        var request = whole.Download;

        Assert.Equal((Kubectl.Url, Kubectl.Sha256, "/usr/local/bin/kubectl", DownloadMode.Executable, true), (request.Url, request.Sha256, request.Dest, request.Mode, request.Executable));
        Assert.Equal(("r1", "kubectl", "v1.20.2"), (whole.RolloutId, request.Component, request.Version)); // the agent records its replace under them
        Assert.Equal("download kubectl v1.20.2 (arm64) to /usr/local/bin/kubectl", step.Describe("pi", Arch.Arm64));
        Assert.Equal((true, false, ComponentKinds.Binary), (step.RunsOnAgent, step.NeedsKubernetes, step.WantedComponentKind));
        Assert.Equal(resolved, RoundTrip(resolved));
        Assert.Equal(DownloadMode.Executable, new NodeStep.Download { Mode = 0 }.Mode);
    }

    [Fact]
    public void Phase_IsStoredWithTheStep_AndAStepStoredBeforePhasesReadsPhaseOne()
    {
        var step = new NodeStep.Systemd { SystemdAction = "restart", Unit = "kubelet.service", Phase = 2 };

        Assert.Equal(2, RoundTrip(step).Phase);
        Assert.Equal(2, step.ToView(11).Phase);
        Assert.Equal(1, JsonSerializer.Deserialize<NodeStep>("""{"Kind":"systemd","SystemdAction":"restart","Unit":"kubelet.service","Description":"","Timeout":"00:02:00"}""")!.Phase);
    }

    [Fact]
    public void InstallCni_MapsToInstallCniPlugins_InOptCniBinByDefault()
    {
        var step = Assert.IsType<NodeStep.InstallCni>(Parse("install-cni: { version: v1.1.1 }"));
        var resolved = step with { Url = "https://dl.example/cni.tgz", Sha256 = new string('c', 64) };

        var request = resolved.ToRequest("id").InstallCniPlugins;

        Assert.Equal(("https://dl.example/cni.tgz", new string('c', 64), "/opt/cni/bin"), (request.Url, request.Sha256, request.DestDir));
        Assert.Equal(("cni-plugins", "v1.1.1"), (request.Component, request.Version));
        Assert.Equal("install cni-plugins v1.1.1 (arm) into /opt/cni/bin", step.Describe("o", Arch.Arm));
        Assert.Equal(ComponentKinds.CniPlugins, step.WantedComponentKind);
        Assert.Equal(resolved, RoundTrip(resolved));
    }

    [Fact]
    public void KubeadmJoin_CarriesTheJustInTimeSecretsOnlyInItsRequest_NeverInItsJson()
    {
        var step = Assert.IsType<NodeStep.KubeadmJoin>(Parse("kubeadm-join: { controlPlaneEndpoint: 10.0.0.1:6443 }"));

        var request = step.ToRequest("id", "abcdef.0123456789abcdef", "sha256:" + new string('a', 64), "pi1").KubeadmJoin;

        Assert.Equal(("10.0.0.1:6443", "abcdef.0123456789abcdef", "pi1", false), (request.ControlPlaneEndpoint, request.Token, request.NodeName, request.ControlPlane));
        Assert.Equal(["sha256:" + new string('a', 64)], request.CaCertHashes);
        Assert.Equal("kubeadm join 10.0.0.1:6443", step.Describe("pi1", Arch.Arm64));
        Assert.Equal((true, true), (step.RunsOnAgent, step.NeedsKubernetes));
        Assert.DoesNotContain("abcdef", JsonSerializer.Serialize<NodeStep>(step), StringComparison.Ordinal);
        Assert.Equal(step, RoundTrip(step));
    }

    [Theory]
    [InlineData("kubeadm-upgrade: { mode: apply, version: v1.12.5 }", KubeadmUpgradeMode.Apply, "kubeadm upgrade apply v1.12.5 -y")]
    [InlineData("kubeadm-upgrade: { mode: node }", KubeadmUpgradeMode.Node, "kubeadm upgrade node")]
    public void KubeadmUpgrade_MapsItsMode(string yaml, KubeadmUpgradeMode mode, string description)
    {
        var step = Assert.IsType<NodeStep.KubeadmUpgrade>(Parse(yaml));

        Assert.Equal(mode, step.ToRequest("id").KubeadmUpgrade.Mode);
        Assert.Equal(description, step.Describe("n", Arch.Amd64));
        Assert.Equal(step, RoundTrip(step));
    }

    [Theory]
    [InlineData("systemd: { action: daemon-reload }", SystemdAction.DaemonReload, "systemctl daemon-reload")]
    [InlineData("systemd: { action: restart, unit: kubelet.service }", SystemdAction.Restart, "systemctl restart kubelet.service")]
    [InlineData("systemd: { action: enable, unit: kubelet.service }", SystemdAction.Enable, "systemctl enable kubelet.service")]
    [InlineData("systemd: { action: enable-now, unit: kubelet.service }", SystemdAction.EnableNow, "systemctl enable --now kubelet.service")]
    public void Systemd_MapsEachAction(string yaml, SystemdAction action, string description)
    {
        var step = Assert.IsType<NodeStep.Systemd>(Parse(yaml));

        Assert.Equal(action, step.ToRequest("id").Systemd.Action);
        Assert.Equal(description, step.Describe("n", Arch.Amd64));
        Assert.Equal(step, RoundTrip(step));
    }

    [Fact]
    public void Systemd_AnActionNoParserLetThrough_IsRefusedRatherThanRestarted()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new NodeStep.Systemd { SystemdAction = "stop", Unit = "kubelet.service" }.ToRequest("id"));

        Assert.Contains("\"stop\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WaitKubeletHealthy_IsAnAgentStep()
    {
        var step = Assert.IsType<NodeStep.WaitKubeletHealthy>(Parse("wait-kubelet-healthy: {}"));

        Assert.Equal(StepRequest.StepOneofCase.WaitKubeletHealthy, step.ToRequest("id").StepCase);
        Assert.Equal(("wait until the kubelet is healthy", true, false), (step.Describe("n", Arch.Arm), step.RunsOnAgent, step.NeedsKubernetes));
        Assert.Equal(step, RoundTrip(step));
    }

    [Theory]
    [InlineData("cordon: {}", typeof(NodeStep.Cordon), "cordon pi1")]
    [InlineData("drain: { gracePeriod: 20s, deleteWhenEvictionBlocked: true }", typeof(NodeStep.Drain), "drain pi1")]
    [InlineData("uncordon: {}", typeof(NodeStep.Uncordon), "uncordon pi1")]
    [InlineData("wait-ready: { version: v1.12.5 }", typeof(NodeStep.WaitReady), "wait until pi1 is Ready at v1.12.5")]
    [InlineData("wait-ready: {}", typeof(NodeStep.WaitReady), "wait until pi1 is Ready")]
    public void KubernetesSteps_RunInTheCoordinator(string yaml, Type type, string description)
    {
        var step = Parse(yaml);

        Assert.IsType(type, step);
        Assert.IsAssignableFrom<NodeStep.KubernetesStep>(step);
        Assert.Equal((description, false, true), (step.Describe("pi1", Arch.Arm64), step.RunsOnAgent, step.NeedsKubernetes));
        Assert.Equal(step, RoundTrip(step));
    }

    [Fact]
    public void Drain_KeepsItsGracePeriodAndDeleteFlag()
    {
        var step = Assert.IsType<NodeStep.Drain>(Parse("drain: { gracePeriod: 20s, deleteWhenEvictionBlocked: true }"));

        Assert.Equal((TimeSpan.FromSeconds(20), true), (step.GracePeriod, step.DeleteWhenEvictionBlocked));
    }

    [Fact]
    public void StoredJson_UsesTheKindDiscriminator()
    {
        var json = JsonSerializer.Serialize<NodeStep>(new NodeStep.Cordon { Description = "cordon pi1", Timeout = TimeSpan.FromMinutes(5) });

        Assert.StartsWith("{\"Kind\":\"cordon\"", json, StringComparison.Ordinal);
    }

    /// <summary>Rows written before typed steps: the flat NodeStep with every member, nulls included.</summary>
    [Fact]
    public void StoredJson_OfTheEarlierFlatForm_StillReads()
    {
        const string download = """{"Kind":"download","Description":"download kubelet v1.12.5 (arm64) to /usr/bin/kubelet","Timeout":"00:10:00","Component":"kubelet","Version":"v1.12.5","Url":"https://dl.example/arm64/kubelet","Sha256":"eeee","Dest":"/usr/bin/kubelet","Mode":493,"ControlPlaneEndpoint":null,"ControlPlane":false,"UpgradeMode":null,"SystemdAction":null,"Unit":null,"GracePeriod":null,"DeleteWhenEvictionBlocked":false}""";
        const string drain = """{"Kind":"drain","Description":"drain pi1","Timeout":"00:05:00","Component":null,"Version":null,"Url":null,"Sha256":null,"Dest":null,"Mode":0,"ControlPlaneEndpoint":null,"ControlPlane":false,"UpgradeMode":null,"SystemdAction":null,"Unit":null,"GracePeriod":"00:00:20","DeleteWhenEvictionBlocked":true}""";
        const string systemd = """{"Kind":"systemd","Description":"systemctl restart kubelet.service","Timeout":"00:02:00","Component":null,"Version":null,"Url":null,"Sha256":null,"Dest":null,"Mode":0,"ControlPlaneEndpoint":null,"ControlPlane":false,"UpgradeMode":null,"SystemdAction":"restart","Unit":"kubelet.service","GracePeriod":null,"DeleteWhenEvictionBlocked":false}""";

        var d = Assert.IsType<NodeStep.Download>(JsonSerializer.Deserialize<NodeStep>(download));
        var dr = Assert.IsType<NodeStep.Drain>(JsonSerializer.Deserialize<NodeStep>(drain));
        var sd = Assert.IsType<NodeStep.Systemd>(JsonSerializer.Deserialize<NodeStep>(systemd));

        Assert.Equal(("kubelet", "v1.12.5", "https://dl.example/arm64/kubelet", "eeee", "/usr/bin/kubelet", 493u, TimeSpan.FromMinutes(10)), (d.Component, d.Version, d.Url, d.Sha256, d.Dest, d.Mode, d.Timeout));
        Assert.Equal("download kubelet v1.12.5 (arm64) to /usr/bin/kubelet", d.Description);
        Assert.Equal((TimeSpan.FromSeconds(20), true, TimeSpan.FromMinutes(5)), (dr.GracePeriod, dr.DeleteWhenEvictionBlocked, dr.Timeout));
        Assert.Equal((SystemdAction.Restart, "kubelet.service"), (sd.ToRequest("id").Systemd.Action, sd.ToRequest("id").Systemd.Unit));
    }

    [Theory]
    [InlineData("""{"Kind":"reboot","Description":"","Timeout":"00:01:00"}""")]
    [InlineData("""{"Description":"","Timeout":"00:01:00"}""")]
    public void StoredJson_OfAnUnknownOrMissingKind_IsAnError(string json)
    {
        Assert.ThrowsAny<Exception>(() => Assert.IsAssignableFrom<NodeStep>(JsonSerializer.Deserialize<NodeStep>(json)));
    }
}

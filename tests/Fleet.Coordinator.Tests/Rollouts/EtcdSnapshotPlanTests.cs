using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>`etcd-snapshot` in plans (a step, and the upgrade recipe's default): parsed, mapped to the agent's request,
/// and refused by path, every problem at once, with the rules the agent checks again.</summary>
public class EtcdSnapshotPlanTests
{
    private static (RolloutPlan? Plan, IReadOnlyList<string> Problems) Steps(string step) => PlanParser.Parse($"target: {{}}\nsteps:\n  - etcd-snapshot: {step}\n");

    [Fact]
    public void Step_WithEverySetting_MapsToTheAgentsRequest()
    {
        var (plan, problems) = Steps("{ endpoint: 'https://10.0.0.5:2379', dir: /srv/etcd-snapshots, keep: 7, certDir: /etc/etcd/pki }");

        Assert.Empty(problems);
        var step = Assert.IsType<NodeStep.EtcdSnapshot>(Assert.IsType<StepsRecipe>(plan!.Recipe).Steps.Single());
        var request = step.ToRequest("s1", "r4");
        Assert.Equal(new EtcdSnapshotStep { Endpoint = "https://10.0.0.5:2379", Dir = "/srv/etcd-snapshots", Keep = 7, CertDir = "/etc/etcd/pki" }, request.EtcdSnapshot);
        Assert.Equal("r4", request.RolloutId);
        Assert.Equal(StepTimeouts.Default.Kubeadm, request.Timeout.ToTimeSpan());
        Assert.Equal("etcd snapshot of https://10.0.0.5:2379 into /srv/etcd-snapshots (newest 7 kept)", step.Describe("cp1", Arch.Amd64));
    }

    [Fact]
    public void Step_Empty_LeavesEveryDefaultToTheAgent()
    {
        var (plan, problems) = Steps("{}");

        Assert.Empty(problems);
        Assert.Equal(new EtcdSnapshotStep(), ((NodeStep.EtcdSnapshot)((StepsRecipe)plan!.Recipe).Steps[0]).ToRequest("s1").EtcdSnapshot);
    }

    [Fact]
    public void Step_HostileSettings_AreAllRefusedByPath_AtOnce()
    {
        var (plan, problems) = Steps("{ endpoint: 'https://root:pw@10.0.0.5:2379/v3', dir: var/snapshots, keep: 1000, certDir: '/etc/kubernetes/../../root' }");

        Assert.Null(plan);
        Assert.Equal(
        [
            "steps[0].etcd-snapshot.endpoint: \"https://root:pw@10.0.0.5:2379/v3\" is not https://host:port (no credentials, no path; e.g. https://127.0.0.1:2379)",
            "steps[0].etcd-snapshot.dir: \"var/snapshots\" must be an absolute path without \"..\"",
            "steps[0].etcd-snapshot.keep: 1000 is not from 1 to 100 (0 or nothing: 3)",
            "steps[0].etcd-snapshot.certDir: \"/etc/kubernetes/../../root\" must be an absolute path without \"..\"",
        ], problems);
    }

    [Theory]
    [InlineData("{ endpoint: 'http://127.0.0.1:2379' }", "endpoint: \"http://127.0.0.1:2379\" is not https://host:port")]
    [InlineData("{ endpoint: 'https://127.0.0.1:2379,https://10.9.9.9:2379' }", "is not https://host:port")]
    [InlineData("{ endpoint: 'https://127.0.0.1:0' }", "is not https://host:port")]
    [InlineData("{ endpoint: 'https://-x:2379' }", "is not https://host:port")]
    [InlineData("{ keep: -1 }", "keep: -1 is not from 1 to 100")]
    [InlineData("{ dir: '/var/lib/a,b' }", "dir: \"/var/lib/a,b\" holds a control character or a comma")]
    [InlineData("{ certDir: \"/etc/pki\\netcd\" }", "certDir: \"/etc/pki\netcd\" holds a control character or a comma")]
    [InlineData("{ keep: many }", "keep")]
    [InlineData("{ port: 2379 }", "port")]
    public void Step_Hostile_IsRefusedNamingIt(string step, string problem)
    {
        var (plan, problems) = Steps(step);

        Assert.Null(plan);
        Assert.Contains(problems, p => p.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void UpgradeRecipe_TakesASnapshotByDefault_WithItsSettings_OrNoneWhenTurnedOff()
    {
        var byDefault = (UpgradeRecipe)PlanParser.Parse("target: {}\nrecipe: { upgrade-kubernetes: { version: v1.12.5 } }").Plan!.Recipe;
        var set = (UpgradeRecipe)PlanParser.Parse("target: {}\nrecipe: { upgrade-kubernetes: { version: v1.12.5, etcd: { keep: 5, endpoint: 'https://10.0.0.5:2379' } } }").Plan!.Recipe;
        var off = (UpgradeRecipe)PlanParser.Parse("target: {}\nrecipe: { upgrade-kubernetes: { version: v1.12.5, etcdSnapshot: false } }").Plan!.Recipe;

        Assert.Equal(new NodeStep.EtcdSnapshot { Timeout = StepTimeouts.Default.Kubeadm }, byDefault.EtcdSnapshot);
        Assert.Equal(new NodeStep.EtcdSnapshot { Keep = 5, Endpoint = "https://10.0.0.5:2379", Timeout = StepTimeouts.Default.Kubeadm }, set.EtcdSnapshot);
        Assert.Null(off.EtcdSnapshot);
    }

    [Fact]
    public void UpgradeRecipe_HostileSnapshotSettings_AreRefusedByPath()
    {
        var (plan, problems) = PlanParser.Parse("target: {}\nrecipe: { upgrade-kubernetes: { version: v1.12.5, etcd: { dir: ../x, keep: 101 } } }");

        Assert.Null(plan);
        Assert.Equal(
        [
            "recipe.upgrade-kubernetes.etcd.dir: \"../x\" must be an absolute path without \"..\"",
            "recipe.upgrade-kubernetes.etcd.keep: 101 is not from 1 to 100 (0 or nothing: 3)",
        ], problems);
    }

    [Fact]
    public void UpgradeRecipe_SnapshotSettingsWithTheSnapshotTurnedOff_IsRefused()
    {
        var (plan, problems) = PlanParser.Parse("target: {}\nrecipe: { upgrade-kubernetes: { version: v1.12.5, etcdSnapshot: false, etcd: { keep: 5 } } }");

        Assert.Null(plan);
        Assert.Equal(["recipe.upgrade-kubernetes.etcd: given, but etcdSnapshot is false (remove one)"], problems);
    }

    [Fact]
    public void StoredStep_RoundTripsThroughJson()
    {
        NodeStep step = new NodeStep.EtcdSnapshot { Endpoint = "https://127.0.0.1:2379", Keep = 2, Dir = "/srv/s", Timeout = TimeSpan.FromMinutes(3), Description = "d" };

        var json = System.Text.Json.JsonSerializer.Serialize(step);

        Assert.Contains("\"Kind\":\"etcd-snapshot\"", json, StringComparison.Ordinal);
        Assert.Equal(step, System.Text.Json.JsonSerializer.Deserialize<NodeStep>(json));
    }
}

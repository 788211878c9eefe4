using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

public class PlanParserTests
{
    [Fact]
    public void Parse_UpgradeWithEveryStrategySetting_GivesTheValidatedPlan()
    {
        var (plan, problems) = PlanParser.Parse("""
            name: workers-1-12-5
            target:
              arch: arm64
              labels: { role: worker }
            strategy:
              batchSize: 20%
              canary: 1
              pauseBetweenBatches: 30s
              failureThreshold: 2
              onFailure: abort
              keepCordoned: true
              timeouts: { drain: 2m, ready: 90s }
            recipe:
              upgrade-kubernetes: { version: v1.12.5 }
            """);

        Assert.Empty(problems);
        Assert.NotNull(plan);
        Assert.Equal("workers-1-12-5", plan.Name);
        Assert.Equal(Arch.Arm64, plan.Target.Arch);
        Assert.Equal("worker", plan.Target.Labels["role"]);
        Assert.Equal(new CountOrPercent(20, true), plan.Strategy.BatchSize);
        Assert.Equal(1, plan.Strategy.Canary);
        Assert.Equal(TimeSpan.FromSeconds(30), plan.Strategy.PauseBetweenBatches);
        Assert.Equal(new CountOrPercent(2, false), plan.Strategy.FailureThreshold);
        Assert.Equal(OnFailure.Abort, plan.Strategy.OnFailure);
        Assert.True(plan.Strategy.KeepCordoned);
        Assert.Equal(TimeSpan.FromMinutes(2), plan.Strategy.Timeouts.Drain);
        Assert.Equal(TimeSpan.FromSeconds(90), plan.Strategy.Timeouts.Ready);
        Assert.Equal(StepTimeouts.Default.Kubeadm, plan.Strategy.Timeouts.Kubeadm);
        Assert.Equal(new UpgradeRecipe("v1.12.5", "/usr/bin"), plan.Recipe);
    }

    [Fact]
    public void Parse_ExplicitSteps_KeepsTheirOrderAndSettings()
    {
        var (plan, problems) = PlanParser.Parse("""
            target: {}
            steps:
              - download: { component: kubectl, version: v1.20.2, dest: /usr/local/bin/kubectl, mode: "0750" }
              - kubeadm-upgrade: { mode: node }
              - systemd: { action: restart, unit: kubelet.service }
              - cordon: {}
              - drain: { gracePeriod: 20s }
              - wait-ready: { version: v1.12.5 }
              - uncordon: {}
            """);

        Assert.Empty(problems);
        var steps = Assert.IsType<StepsRecipe>(plan!.Recipe).Steps;
        Assert.Equal(["download", "kubeadm-upgrade", "systemd", "cordon", "drain", "wait-ready", "uncordon"], steps.Select(s => s.Kind));
        Assert.Equal(0x1E8u, Assert.IsType<NodeStep.Download>(steps[0]).Mode); // 0750
        Assert.Equal("node", Assert.IsType<NodeStep.KubeadmUpgrade>(steps[1]).UpgradeMode);
        Assert.Equal("kubelet.service", Assert.IsType<NodeStep.Systemd>(steps[2]).Unit);
        Assert.Equal(TimeSpan.FromSeconds(20), Assert.IsType<NodeStep.Drain>(steps[4]).GracePeriod);
        Assert.True(plan.Recipe.NeedsKubernetes);
    }

    [Fact]
    public void Parse_SkipDisconnected_IsOffUnlessSaid_AndMustBeABoolean()
    {
        const string Recipe = "\nrecipe: { install-cni: { version: v1.1.1 } }";

        Assert.False(PlanParser.Parse("target: {}" + Recipe).Plan!.Target.SkipDisconnected);
        Assert.True(PlanParser.Parse("target: { skipDisconnected: true }" + Recipe).Plan!.Target.SkipDisconnected);
        var (plan, problems) = PlanParser.Parse("target: { skipDisconnected: maybe }" + Recipe);
        Assert.Null(plan);
        Assert.Contains(problems, p => p.StartsWith("target.skipDisconnected: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ABadPlan_ListsEveryProblemByPath()
    {
        var (plan, problems) = PlanParser.Parse("""
            target: { arch: sparc, names: [Bad_Name] }
            strategy:
              batchSize: 0
              maxUnavailable: 200%
              failureThreshold: lots
              onFailure: shrug
              pauseBetweenBatches: soon
              timeouts: { drain: forever, coffee: 5m }
            steps:
              - download: { component: kubectl, version: latest, dest: usr/bin/kubectl, mode: "999" }
              - systemd: { action: restart, unit: "--now" }
              - kubeadm-upgrade: { mode: apply }
              - {}
              - cordon: {}
                drain: {}
            """);

        Assert.Null(plan);
        string[] expected =
        [
            "target.arch: \"sparc\" is not an architecture",
            "target.names: \"Bad_Name\" is not a valid node name",
            "strategy: give batchSize or maxUnavailable, not both",
            "strategy.batchSize: \"0\" is not a count",
            "strategy.maxUnavailable: \"200%\" is not a count",
            "strategy.failureThreshold: \"lots\"",
            "strategy.onFailure: \"shrug\" is not pause or abort",
            "strategy.pauseBetweenBatches: \"soon\" is not a duration",
            "strategy.timeouts.drain: \"forever\" is not a duration",
            "strategy.timeouts.coffee: not a step timeout",
            "steps[0].download.version: \"latest\" is not a version like v1.12.5",
            "steps[0].download.dest: \"usr/bin/kubectl\" must be an absolute path",
            "steps[0].download.mode: \"999\" is not an octal file mode",
            "steps[1].systemd.unit: \"--now\" is not a unit name",
            "steps[2].kubeadm-upgrade.version: missing",
            "steps[3]: names no step",
            "steps[4]: names 2 steps (cordon, drain)",
        ];
        foreach (var e in expected)
        {
            Assert.Contains(problems, p => p.StartsWith(e, StringComparison.Ordinal));
        }

        Assert.Equal(expected.Length, problems.Count);
    }

    [Theory]
    [InlineData("target: {}", "recipe or steps: give one")]
    [InlineData("target: { names: [pi-1], exclude: [pi-1, 'Bad Name'] }\nrecipe: { install-cni: { version: v1.1.1 } }", "target.exclude: \"Bad Name\" is not a valid node name")]
    [InlineData("target: { names: [pi-1], exclude: [pi-1] }\nrecipe: { install-cni: { version: v1.1.1 } }", "target: pi-1 both named and excluded")]
    [InlineData("target: {}\nrecipe: { install-cni: { version: v1.1.1 }, join: { controlPlaneEndpoint: 'a:6443', cniVersion: v1.1.1 } }", "recipe or steps: give exactly one, not install-cni and join")]
    [InlineData("recipe: { install-cni: { version: v1.1.1 } }", "target: missing")]
    [InlineData("target: {}\nrecipe: { join: { controlPlaneEndpoint: 'no port', cniVersion: v1.1.1 } }", "recipe.join.controlPlaneEndpoint: \"no port\" is not host:port")]
    [InlineData("target: {}\nrecipe: { join: { controlPlaneEndpoint: '10.0.0.1:6443' } }", "recipe.join.cniVersion: missing")]
    [InlineData("target: [\n", "line ")]
    [InlineData("", "the plan is empty")]
    [InlineData("target: {}\nrecipe: { install-cni: { version: v1.1.1 } }\nsurprise: 1", "surprise: unknown key (line 3)")]
    [InlineData("target: {}\nsteps:\n  - download: { component: k, version: v1.1.1, dest: /usr/bin/k, mode: \"4755\" }", "steps[0].download.mode: mode 4755 is not allowed: at most 0755")]
    [InlineData("target: {}\nsteps:\n  - download: { component: k, version: v1.1.1, dest: /usr/bin/k, mode: \"0777\" }", "steps[0].download.mode: mode 0777 is not allowed: at most 0755")]
    [InlineData("target: {}\nsteps:\n  - download: { component: k, version: v1.1.1, dest: /usr/bin/k, mode: \"2755\" }", "steps[0].download.mode: mode 2755 is not allowed")]
    [InlineData("target: {}\nsteps:\n  - download: { component: k, version: v1.1.1, dest: /usr/bin/../etc/k }", "steps[0].download.dest: \"/usr/bin/../etc/k\" must be an absolute path without \"..\"")]
    public void Parse_RefusesWithTheProblem(string yaml, string problem)
    {
        var (plan, problems) = PlanParser.Parse(yaml);

        Assert.Null(plan);
        Assert.Contains(problems, p => p.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_TheDocsExamples_AllParse()
    {
        var doc = File.ReadAllText(Path.Join(Fleet.Testing.Repo.Root, "docs", "rollouts.md"));
        var examples = doc.Split("```yaml").Skip(1).Select(block => block[..block.IndexOf("```", StringComparison.Ordinal)]).ToList();

        Assert.True(examples.Count >= 4, "docs/rollouts.md has its examples");
        foreach (var yaml in examples)
        {
            var (plan, problems) = PlanParser.Parse(yaml);
            Assert.True(plan is not null, string.Join("\n", problems) + "\n" + yaml);
        }
    }
}

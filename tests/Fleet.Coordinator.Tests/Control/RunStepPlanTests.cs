using Fleet.Coordinator.Control;
using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Control;

public class RunStepPlanTests
{
    private static RunStepRequest Download(string dest = "/usr/local/bin/kubectl", uint mode = 0) =>
        new() { Download = new RunDownload { Component = "kubectl", Version = "v1.20.2", Dest = dest, Mode = mode } };

    [Fact]
    public void From_Download_IsOneBatchOneStepAbortingAtEveryFailure_AndItsYamlParsesBackToTheSamePlan()
    {
        var request = Download();
        request.Selector = new NodeSelector { Arch = Arch.Arm64, Names = { "pi-1", "pi-2" }, Labels = { ["role"] = "worker" }, Exclude = { "pi-3" } };
        request.Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(90));

        var (plan, problems) = RunStepPlan.From(request);

        Assert.Empty(problems);
        Assert.Equal(RunStepPlan.Name, plan!.Name);
        Assert.Equal(new CountOrPercent(100, true), plan.Strategy.BatchSize);
        Assert.Equal(new CountOrPercent(100, true), plan.Strategy.FailureThreshold);
        Assert.Equal(OnFailure.Abort, plan.Strategy.OnFailure);
        Assert.Equal(request.Selector, plan.Target);
        var step = Assert.IsType<NodeStep.Download>(Assert.IsType<StepsRecipe>(plan.Recipe).Steps.Single());
        Assert.Equal(("kubectl", "v1.20.2", "/usr/local/bin/kubectl", DownloadMode.Executable, TimeSpan.FromSeconds(90)), (step.Component, step.Version, step.Dest, step.Mode, step.Timeout));

        var (again, againProblems) = PlanParser.Parse(plan.Yaml); // what a restarted coordinator reads
        Assert.Empty(againProblems);
        Assert.Equal(plan.Target, again!.Target);
        Assert.Equal(plan.Strategy, again.Strategy);
        Assert.Equal(step, Assert.IsType<StepsRecipe>(again.Recipe).Steps.Single());
    }

    [Fact]
    public void From_InstallCni_DefaultsToCniPluginsInOptCniBin_AndTheDefaultTimeout()
    {
        var (plan, problems) = RunStepPlan.From(new RunStepRequest { InstallCni = new RunInstallCni { Version = "v1.1.1" } });

        Assert.Empty(problems);
        var step = Assert.IsType<NodeStep.InstallCni>(Assert.IsType<StepsRecipe>(plan!.Recipe).Steps.Single());
        Assert.Equal(("cni-plugins", "v1.1.1", "/opt/cni/bin", StepTimeouts.Default.Download), (step.Component, step.Version, step.Dest, step.Timeout));
        Assert.Equal(new NodeSelector(), plan.Target);
    }

    [Fact]
    public void From_AModeWithinTheLimit_IsKept()
    {
        var (plan, _) = RunStepPlan.From(Download(mode: 0x1E8)); // 0750

        Assert.Equal(0x1E8u, Assert.IsType<NodeStep.Download>(Assert.IsType<StepsRecipe>(plan!.Recipe).Steps.Single()).Mode);
    }

    [Theory]
    [InlineData("/usr/local/bin/../../../etc/kubectl", "download.dest: \"/usr/local/bin/../../../etc/kubectl\" must be an absolute path without \"..\"")]
    [InlineData("relative/kubectl", "download.dest: \"relative/kubectl\" must be an absolute path without \"..\"")]
    [InlineData("", "download.dest: missing")]
    public void From_ABadDest_IsRefusedByTheParsersRule(string dest, string expected)
    {
        var (plan, problems) = RunStepPlan.From(Download(dest));

        Assert.Null(plan);
        Assert.Equal([expected], problems);
    }

    [Fact]
    public void From_HostileValues_StayOneValueEach_NeverASecondStepOrKey()
    {
        // Were the YAML written by hand, this dest would add a cordon step and this component would close the flow.
        var request = new RunStepRequest { Download = new RunDownload { Component = "kubectl }\n  - cordon: {", Version = "v1.20.2", Dest = "/usr/bin/k\"\n  - cordon: {}\n#" } };
        request.Selector = new NodeSelector { Labels = { ["null"] = "true", ["fleet.io/zone"] = "a" } };

        var (plan, problems) = RunStepPlan.From(request);

        Assert.Empty(problems);
        Assert.Equal(request.Selector, plan!.Target);
        var step = Assert.IsType<NodeStep.Download>(Assert.IsType<StepsRecipe>(plan.Recipe).Steps.Single());
        Assert.Equal((request.Download.Component, request.Download.Dest), (step.Component, step.Dest));
    }

    [Fact]
    public void From_HostileLabels_AreRefusedByTheLabelRules_NeverWrittenAsYamlStructure()
    {
        var request = Download();
        request.Selector = new NodeSelector { Labels = { ["a: b"] = "c", ["role"] = "c\nd: e" } };

        var (plan, problems) = RunStepPlan.From(request);

        Assert.Null(plan);
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("target.labels: the label key \"a: b\" is not valid", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("target.labels: the value ", StringComparison.Ordinal) && p.Contains("\"role\"", StringComparison.Ordinal));
    }

    [Fact]
    public void From_AnInvalidNodeName_IsRefusedByTheParsersRule()
    {
        var request = Download();
        request.Selector = new NodeSelector { Names = { "x: y" } };

        Assert.Equal(
            ["target.names: \"x: y\" is not a valid node name (lowercase letters, digits, '-' and '.', at most 63, starting and ending with a letter or digit)"],
            RunStepPlan.From(request).Problems);
    }

    [Theory]
    [InlineData(0x3FFu, "download.mode: mode 1777 is not allowed: at most 0755")]
    [InlineData(0x1FFu, "download.mode: mode 0777 is not allowed: at most 0755")]
    [InlineData(0x9EDu, "download.mode: mode 4755 is not allowed: at most 0755")]
    public void From_AModeBeyond0755_IsRefused(uint mode, string expected)
    {
        var (plan, problems) = RunStepPlan.From(Download(mode: mode));

        Assert.Null(plan);
        Assert.StartsWith(expected, Assert.Single(problems));
    }

    [Fact]
    public void From_NoActionOrAnUnknownArch_IsRefused()
    {
        Assert.Equal(["no action: install_cni or download"], RunStepPlan.From(new RunStepRequest()).Problems);
        var unknown = Download();
        unknown.Selector = new NodeSelector { Arch = (Arch)42 };
        Assert.Equal(["selector.arch: unknown value 42"], RunStepPlan.From(unknown).Problems);
    }

    [Fact]
    public void TheDocumentedPlan_IsWhatTheDocumentedCommandGenerates()
    {
        var doc = File.ReadAllText(Path.Join(Fleet.Testing.Repo.Root, "docs", "rollouts.md"));
        var block = doc.Split("```yaml").Skip(1).Select(b => b[..b.IndexOf("```", StringComparison.Ordinal)]).Single(b => b.Contains("name: fleetctl-run", StringComparison.Ordinal));
        var documented = PlanParser.Parse(block).Plan!;
        var request = Download();
        request.Selector = new NodeSelector { Arch = Arch.Arm64, Labels = { ["role"] = "worker" } };
        request.Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(5));

        var generated = RunStepPlan.From(request).Plan!;

        Assert.Equal((documented.Name, documented.Target, documented.Strategy), (generated.Name, generated.Target, generated.Strategy));
        Assert.Equal(Assert.IsType<StepsRecipe>(documented.Recipe).Steps, Assert.IsType<StepsRecipe>(generated.Recipe).Steps);
    }
}

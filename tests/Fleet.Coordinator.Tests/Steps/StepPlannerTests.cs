using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Steps;
using Fleet.Coordinator.Tests.Catalog;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Steps;

public class StepPlannerTests
{
    private static NodeRecord Node(string name, Arch arch, params (string Key, string Value)[] labels)
    {
        var facts = new NodeFacts { NodeName = name, Arch = arch };
        foreach (var (k, v) in labels)
        {
            facts.Labels[k] = v;
        }

        return new NodeRecord(name + "-id", name, facts, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
    }

    private static readonly NodeRecord[] Nodes =
    [
        Node("x86-1", Arch.Amd64, ("role", "control-plane")),
        Node("pi-1", Arch.Arm64, ("role", "worker")),
        Node("odroid-1", Arch.Arm, ("role", "worker")),
        Node("odroid-2", Arch.Arm, ("role", "worker")),
    ];

    [Fact]
    public void Plan_InstallCni_ResolvesEachNodesOwnArch()
    {
        var request = new RunStepRequest { InstallCni = new RunInstallCni { Version = "v1.1.1" } };

        var (steps, problems) = StepPlanner.Plan(request, Nodes, CatalogParserTests.Valid(), "run1", TimeSpan.FromMinutes(5));

        Assert.Empty(problems);
        Assert.Equal(4, steps.Count);
        Assert.All(steps, s => Assert.EndsWith($"-{s.Node.Facts.Arch.ToName()}-v1.1.1.tgz", s.Request.InstallCniPlugins.Url));
        Assert.Equal(new string('c', 64), steps.Single(s => s.Node.Name == "odroid-2").Request.InstallCniPlugins.Sha256);
        Assert.Equal("run1-pi-1", steps.Single(s => s.Node.Name == "pi-1").Request.Id);
        Assert.Equal(TimeSpan.FromMinutes(5), steps[0].Request.Timeout.ToTimeSpan());
    }

    [Fact]
    public void Plan_ArchNotServed_NamesEveryNodeAtOnce()
    {
        var request = new RunStepRequest { Download = new RunDownload { Component = "kubectl", Version = "v1.27.0", Dest = "/usr/local/bin/kubectl" } };

        var (_, problems) = StepPlanner.Plan(request, Nodes, CatalogParserTests.Valid(), "run1", TimeSpan.FromMinutes(5));

        Assert.Equal(["kubectl v1.27.0 has no arm build: odroid-1, odroid-2"], problems);
    }

    [Fact]
    public void Plan_Download_IsAnExecutableWithMode0755()
    {
        var request = new RunStepRequest { Download = new RunDownload { Component = "kubectl", Version = "v1.27.0", Dest = "/usr/local/bin/kubectl" } };

        var (steps, _) = StepPlanner.Plan(request, Nodes[..2], CatalogParserTests.Valid(), "run1", TimeSpan.FromMinutes(5));

        Assert.All(steps, s => Assert.Equal((true, 0x1EDu, "/usr/local/bin/kubectl"), (s.Request.Download.Executable, s.Request.Download.Mode, s.Request.Download.Dest)));
    }

    [Fact]
    public void Plan_WrongComponentKind_IsRefused()
    {
        var request = new RunStepRequest { InstallCni = new RunInstallCni { Version = "v1.27.0", Component = "kubectl" } };

        var (steps, problems) = StepPlanner.Plan(request, Nodes[..1], CatalogParserTests.Valid(), "run1", TimeSpan.FromMinutes(5));

        Assert.Empty(steps);
        Assert.Equal(["kubectl is a binary component; this step needs a cni-plugins component"], problems);
    }

    [Fact]
    public void Select_CombinesNamesArchAndLabels()
    {
        var selector = new NodeSelector { Arch = Arch.Arm };
        selector.Labels["role"] = "worker";
        Assert.Equal(["odroid-1", "odroid-2"], NodeSelection.Select(Nodes, selector).Select(n => n.Name));

        selector.Names.Add("odroid-2");
        Assert.Equal(["odroid-2"], NodeSelection.Select(Nodes, selector).Select(n => n.Name));

        Assert.Equal(4, NodeSelection.Select(Nodes, null).Count);
        Assert.Empty(NodeSelection.Select(Nodes, new NodeSelector { Labels = { ["role"] = "gpu" } }));
    }
}

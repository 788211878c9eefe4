using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Steps;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Steps;

public class NodeSelectionTests
{
    private static NodeRecord Node(string name, Arch arch, string role) =>
        new(name + "-id", name, new NodeFacts { NodeName = name, Arch = arch, Labels = { ["role"] = role } }, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    private static readonly NodeRecord[] Nodes =
    [
        Node("x86-1", Arch.Amd64, "control-plane"),
        Node("pi-1", Arch.Arm64, "worker"),
        Node("odroid-1", Arch.Arm, "worker"),
        Node("odroid-2", Arch.Arm, "worker"),
    ];

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

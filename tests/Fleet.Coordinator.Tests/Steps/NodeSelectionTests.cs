using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Steps;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Steps;

public sealed class NodeSelectionTests
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
    public void Exclude_RemovesThoseNodes_WhateverElseMatches()
    {
        var selector = new NodeSelector { Labels = { ["role"] = "worker" }, Exclude = { "odroid-2" } };

        Assert.Equal(["pi-1", "odroid-1"], NodeSelection.Select(Nodes, selector).Select(n => n.Name));
        Assert.Equal(["x86-1", "pi-1", "odroid-1"], NodeSelection.Select(Nodes, new NodeSelector { Exclude = { "odroid-2" } }).Select(n => n.Name));
        Assert.Equal("label role=worker, excluding odroid-2", NodeSelection.Describe(selector));
    }

    [Fact]
    public void Unknown_NamesEveryMissingNode_InNamesAndInExclude()
    {
        var selector = new NodeSelector { Names = { "pi-1", "ghost" }, Exclude = { "odroid-1", "odroid-9", "typo" } };

        Assert.Equal(["no such node: ghost", "exclude: no such node: odroid-9, typo"], NodeSelection.Unknown(Nodes, selector));
        Assert.Empty(NodeSelection.Unknown(Nodes, new NodeSelector { Names = { "pi-1" }, Exclude = { "odroid-1" } }));
        Assert.Empty(NodeSelection.Unknown(Nodes, null));
    }
}

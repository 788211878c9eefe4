using Fleet.Coordinator.Hosting;

namespace Fleet.Coordinator.Tests.Hosting;

public sealed class ControlSocketTests
{
    [Fact]
    public void GroupId_FindsTheFleetGroup()
    {
        string[] lines = ["root:x:0:", "fleetwood:x:998:", "fleet:x:997:alice,bob", "users:x:100:"];

        Assert.Equal(997, ControlSocket.GroupId(lines, "fleet"));
    }

    [Fact]
    public void GroupId_NoSuchGroup_IsNull() => Assert.Null(ControlSocket.GroupId(["root:x:0:", "garbage", "fleet:x:notanumber:"], "fleet"));
}

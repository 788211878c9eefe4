using Fleet.Coordinator.Hosting;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf;

namespace Fleet.Coordinator.Tests.Control;

/// <summary>
/// Issue 12, finding 3: ListNodes and GetRolloutLogs stream one item a message, so neither breaks
/// when the whole answer is larger than the 4 MiB message limit (a single reply used to).
/// </summary>
public sealed class LargeListingTests : CoordinatorTest
{
    [Fact]
    public async Task ListNodes_MoreThan4MiBOfNodes_AreAllListedInOrder()
    {
        await LargeState.SeedNodesAsync(Coordinator, 80); // ~60 KiB of facts each: ~4.7 MiB in all

        using var channel = Coordinator.ControlChannel();
        var nodes = await new ControlService.ControlServiceClient(channel).ListAllNodesAsync();

        Assert.True(nodes.Sum(n => n.CalculateSize()) > CoordinatorApp.MaxMessageSize);
        Assert.Equal(Enumerable.Range(0, 80).Select(i => $"node-{i:00}"), nodes.Select(n => n.Name));
    }

    [Fact]
    public async Task GetRolloutLogs_MoreThan4MiBOfLines_AreAllReturnedInOrder()
    {
        await LargeState.SeedRolloutLogAsync(Coordinator, "r1", 5000); // ~5 MiB

        using var channel = Coordinator.ControlChannel();
        var lines = await new ControlService.ControlServiceClient(channel).GetAllRolloutLogsAsync(new RolloutLogsRequest { Id = "r1" });

        Assert.True(lines.Sum(l => l.CalculateSize()) > CoordinatorApp.MaxMessageSize);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => $"{i:0000}"), lines.Select(l => l.Message[..4]));
    }
}

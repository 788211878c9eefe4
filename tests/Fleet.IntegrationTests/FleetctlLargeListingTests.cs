using Fleet.Testing;

namespace Fleet.IntegrationTests;

/// <summary>
/// Issue 12, finding 3: `fleetctl nodes list` and `fleetctl rollout logs` read the coordinator's
/// streams, so answers larger than one 4 MiB gRPC message print in full, in the same format as before.
/// </summary>
public sealed class FleetctlLargeListingTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task NodesList_MoreThan4MiBOfNodes_PrintsEveryNode()
    {
        await LargeState.SeedNodesAsync(_coordinator, 80);

        var nodes = await Fleetctl.NodesAsync(_coordinator.Socket);
        var table = await Fleetctl.RunAsync("nodes", "list", "--socket", _coordinator.Socket);

        Assert.Equal(Enumerable.Range(0, 80).Select(i => $"node-{i:00}"), nodes.Select(n => n.Str("name")));
        Assert.Equal(0, table.ExitCode);
        var rows = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("NAME", table.Stdout, StringComparison.Ordinal);
        Assert.Equal(80, rows.Count(r => r.Contains("node-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RolloutLogs_MoreThan4MiBOfLines_PrintsEveryLineInOrder()
    {
        await LargeState.SeedRolloutLogAsync(_coordinator, "r1", 5000);

        var logs = await Fleetctl.RunAsync("rollout", "logs", "r1", "--socket", _coordinator.Socket);

        Assert.True(logs.ExitCode == 0, logs.Stderr);
        var lines = logs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => $"1970-01-01T00:00:00Z info  pi-1: {i:0000} " + new string('l', 995)), lines);
    }
}

using Fleet.Coordinator.Nodes;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests;

/// <summary>A test class with its own real coordinator on loopback, in its own folder.</summary>
public abstract class CoordinatorTest : IAsyncLifetime
{
    protected TempDir Dir { get; } = new();

    protected TestCoordinator Coordinator { get; private set; } = null!;

    public async Task InitializeAsync() => Coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(Dir.Path));

    public async Task DisposeAsync()
    {
        await Coordinator.DisposeAsync();
        Dir.Dispose();
    }

    protected async Task<IReadOnlyList<NodeRecord>> NodesAsync() => await Coordinator.Service<INodeStore>().ListAsync(CancellationToken.None);
}

using Fleet.Coordinator.Nodes;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests;

/// <summary>A test class with its own real coordinator on loopback, in its own folder.</summary>
public abstract class CoordinatorTest : IAsyncLifetime
{
    protected TempDir Dir { get; } = new();

    protected TestCoordinator Coordinator { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var options = TestCoordinator.OptionsIn(Dir.Path);
        Configure(options);
        Coordinator = await TestCoordinator.StartAsync(options, services: ConfigureServices);
    }

    /// <summary>Changes this class's coordinator options before it starts.</summary>
    protected virtual void Configure(Fleet.Coordinator.Hosting.CoordinatorOptions options)
    {
    }

    /// <summary>Replaces or decorates services before the coordinator starts.</summary>
    protected virtual void ConfigureServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
    {
    }

    public async Task DisposeAsync()
    {
        await Coordinator.DisposeAsync();
        Dir.Dispose();
    }

    protected async Task<IReadOnlyList<NodeRecord>> NodesAsync() => await Coordinator.Service<INodeStore>().ListAsync(CancellationToken.None);
}

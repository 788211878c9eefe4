using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Tests.Agents;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Enrollment;

/// <summary>--require-approval: enrolled nodes connect, but wait for `fleetctl nodes approve` before they may receive steps.</summary>
public sealed class ApprovalTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync()
    {
        var options = TestCoordinator.OptionsIn(_dir.Path);
        options.RequireApproval = true;
        _coordinator = await TestCoordinator.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task EnrolledNode_WaitsForApproval_ThenIsApproved()
    {
        using var agent = new RawAgent(_coordinator, await _coordinator.EnrollAsync("pi-1"));
        await agent.SendAsync(RawAgent.Hello("pi-1"));
        await agent.ReadAsync().DefaultTimeout();
        using var control = _coordinator.ControlChannel();
        var client = new ControlService.ControlServiceClient(control);

        var waiting = await client.GetNodeAsync(new GetNodeRequest { Name = "pi-1" }).ResponseAsync.DefaultTimeout();
        Assert.False(waiting.Approved);

        var approved = await client.ApproveNodeAsync(new ApproveNodeRequest { Name = "pi-1" }).ResponseAsync.DefaultTimeout();
        Assert.True(approved.Approved);
        Assert.True((await client.GetNodeAsync(new GetNodeRequest { Name = "pi-1" }).ResponseAsync.DefaultTimeout()).Approved);

        var unknown = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => client.ApproveNodeAsync(new ApproveNodeRequest { Name = "pi-9" }).ResponseAsync.DefaultTimeout());
        Assert.Equal(Grpc.Core.StatusCode.NotFound, unknown.StatusCode);
    }
}

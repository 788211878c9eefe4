using System.Net;
using Fleet.Coordinator.Enrollment;
using Fleet.Testing;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Enrollment;

/// <summary>No node enrolls under one of the coordinator's own TLS names; the refusal spends no token use and leaves no row.</summary>
public sealed class ReservedNameTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync()
    {
        var options = TestCoordinator.OptionsIn(_dir.Path);
        options.TlsNames = ["fleet.example.org", "10.0.0.7"];
        _coordinator = await TestCoordinator.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    public static TheoryData<string> CoordinatorNames() => new() { "localhost", "127.0.0.1", "fleet.example.org", "10.0.0.7", Dns.GetHostName().ToLowerInvariant() };

    [Theory]
    [MemberData(nameof(CoordinatorNames))]
    public async Task Enroll_UnderACoordinatorTlsName_IsRefused_NoTokenUseSpent_NothingStored(string name)
    {
        var token = await _coordinator.CreateTokenAsync(uses: 1);

        var ex = await Assert.ThrowsAsync<RpcException>(() => _coordinator.EnrollAsync(name, token));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal($"csr: subject CN: \"{name}\" is one of the coordinator's own TLS names, never a node's: enroll the node under another name (fleet-agent enroll --name)", ex.Status.Detail);
        Assert.Null(await _coordinator.Service<IEnrollmentStore>().FindEnrollmentByNameAsync(name, CancellationToken.None));
        Assert.Equal(0, (await _coordinator.Service<IJoinTokenStore>().ListAsync(CancellationToken.None)).Single().Uses);

        // The same token still enrolls a node with a name of its own.
        await _coordinator.EnrollAsync("pi-1", token);
    }
}

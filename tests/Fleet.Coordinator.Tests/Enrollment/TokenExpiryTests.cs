using Fleet.Testing;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Coordinator.Tests.Enrollment;

/// <summary>Token expiry on the coordinator's clock, faked.</summary>
public sealed class TokenExpiryTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path), _time);

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Enroll_TokenPastItsTtl_IsRefused()
    {
        var token = await _coordinator.CreateTokenAsync(uses: 5, ttl: TimeSpan.FromHours(1));
        await _coordinator.EnrollAsync("pi-1", token); // valid within the hour

        _time.Advance(TimeSpan.FromMinutes(61));
        var ex = await Assert.ThrowsAsync<RpcException>(() => _coordinator.EnrollAsync("pi-2", token));

        Assert.Equal((StatusCode.Unauthenticated, $"join token {token[..12]} has expired"), (ex.StatusCode, ex.Status.Detail));
    }
}

using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Testing;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Enrollment;

/// <summary>
/// Issue 12, finding 11: the token is checked before anything about the name. A caller without a
/// valid token never hears AlreadyExists (enrolled names do not leak), and a name clash after a
/// good token consumes no use of it (one transaction).
/// </summary>
public sealed class EnrollOrderTests : CoordinatorTest
{
    protected override void Configure(CoordinatorOptions options) => options.EnrollmentsPerSecondPerAddress = 1000; // this class makes many attempts from 127.0.0.1

    private async Task<JoinTokenRecord> TokenAsync(string token) =>
        (await Coordinator.Service<IJoinTokenStore>().ListAsync(CancellationToken.None)).Single(t => token.StartsWith(t.Id + ".", StringComparison.Ordinal));

    [Fact]
    public async Task Enroll_AnEnrolledNameWithoutAValidToken_IsUnauthenticatedNeverAlreadyExists()
    {
        await Coordinator.EnrollAsync("pi-1");
        var used = await Coordinator.CreateTokenAsync(uses: 1);
        await Coordinator.EnrollAsync("pi-2", used);
        var revoked = await Coordinator.CreateTokenAsync();
        await Coordinator.Service<JoinTokens>().RevokeAsync(new RevokeTokenRequest { Id = revoked[..12] }, CancellationToken.None);
        var good = await Coordinator.CreateTokenAsync();
        var presented = new Dictionary<string, string>
        {
            ["unknown id"] = "0123456789ab." + new string('0', 48),
            ["wrong secret"] = good[..13] + new string('f', 48),
            ["used up"] = used,
            ["revoked"] = revoked,
        };

        foreach (var (what, token) in presented)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => Coordinator.EnrollAsync("pi-1", token));
            Assert.True(ex.StatusCode == StatusCode.Unauthenticated, $"{what}: {ex.StatusCode} {ex.Status.Detail}");
            Assert.DoesNotContain("pi-1", ex.Status.Detail, StringComparison.Ordinal);
        }

        Assert.Equal(0, (await TokenAsync(good)).Uses);
        Assert.Equal(1, (await TokenAsync(used)).Uses);
    }

    [Fact]
    public async Task Enroll_NameClashWithAGoodToken_ConsumesNoUseAndTheTokenStillEnrollsAnotherName()
    {
        await Coordinator.EnrollAsync("pi-1");
        var token = await Coordinator.CreateTokenAsync(uses: 1);

        var ex = await Assert.ThrowsAsync<RpcException>(() => Coordinator.EnrollAsync("pi-1", token));

        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Equal(0, (await TokenAsync(token)).Uses);
        using var other = await Coordinator.EnrollAsync("pi-2", token);
        Assert.Equal(1, (await TokenAsync(token)).Uses);
    }

    [Fact]
    public async Task Enroll_ConcurrentSameName_OneWinsAndOnlyItsTokenUseIsCounted()
    {
        var tokens = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Coordinator.CreateTokenAsync(uses: 1)));

        var attempts = await Task.WhenAll(tokens.Select(async t =>
        {
            try
            {
                using var certificate = await Coordinator.EnrollAsync("pi-1", t);
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }));

        Assert.Single(attempts, StatusCode.OK);
        Assert.Equal(5, attempts.Count(c => c == StatusCode.AlreadyExists));
        Assert.Equal(1, (await Task.WhenAll(tokens.Select(TokenAsync))).Sum(t => t.Uses));
    }
}

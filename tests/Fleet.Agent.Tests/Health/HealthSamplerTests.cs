using Fleet.Agent.Health;
using Fleet.V1;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Agent.Tests.Health;

public sealed class HealthSamplerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Sample_ThrowingCheck_IsUnknownAndOthersAreReported()
    {
        var sampler = new HealthSampler(
            [
                new FakeCheck("first", _ => Fleet.Agent.Health.Check.Ok("first", "fine")),
                new FakeCheck("broken", _ => throw new InvalidOperationException("sensor exploded")),
                new FakeCheck("last", _ => Fleet.Agent.Health.Check.Warning("last", "meh")),
            ],
            _time);

        var sample = await sampler.SampleAsync(CancellationToken.None);

        Assert.Equal(["first", "broken", "last"], sample.Checks.Select(c => c.Name));
        Assert.Equal([HealthStatus.Ok, HealthStatus.Unknown, HealthStatus.Warning], sample.Checks.Select(c => c.Status));
        Assert.Contains("sensor exploded", sample.Checks[1].Reason, StringComparison.Ordinal);
        Assert.Equal("fine", sample.Checks[0].Reason);
    }

    [Fact]
    public async Task Sample_StampsSampledAtFromTheTimeProvider()
    {
        var sampler = new HealthSampler([new FakeCheck("only", _ => Fleet.Agent.Health.Check.Ok("only", "fine"))], _time);

        var sample = await sampler.SampleAsync(CancellationToken.None);

        Assert.Equal(_time.GetUtcNow(), sample.SampledAt.ToDateTimeOffset());
    }

    [Fact]
    public async Task Sample_Cancelled_Throws()
    {
        var sampler = new HealthSampler(
            [new FakeCheck("slow", ct => { ct.ThrowIfCancellationRequested(); return Fleet.Agent.Health.Check.Ok("slow", "fine"); })],
            _time);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sampler.SampleAsync(cts.Token));
    }

    private sealed class FakeCheck(string name, Func<CancellationToken, HealthCheck> check) : INodeHealthCheck
    {
        public string Name => name;

        public Task<HealthCheck> CheckAsync(CancellationToken ct) => Task.FromResult(check(ct));
    }
}

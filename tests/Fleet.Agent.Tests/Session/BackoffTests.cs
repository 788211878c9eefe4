using Fleet.Agent.Session;

namespace Fleet.Agent.Tests.Session;

public sealed class BackoffTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(1);

    [Fact]
    public void Delay_EveryAttempt_IsBetweenFloorAndCeiling()
    {
        var cap = TimeSpan.FromSeconds(30);
        var backoff = new Backoff(Base, cap, new Random(1234));

        for (var attempt = 0; attempt <= 40; attempt++)
        {
            var ceiling = TimeSpan.FromMilliseconds(Math.Min(cap.TotalMilliseconds, Base.TotalMilliseconds * Math.Pow(2, attempt)));
            for (var draw = 0; draw < 50; draw++)
            {
                var delay = backoff.Delay(attempt);
                Assert.InRange(delay, Backoff.Floor, ceiling);
            }
        }
    }

    [Fact]
    public void Delay_HugeAttempt_NeverExceedsCap()
    {
        var cap = TimeSpan.FromSeconds(30);
        var backoff = new Backoff(Base, cap, new Random(99));

        var delays = Enumerable.Range(0, 1000).Select(_ => backoff.Delay(50)).ToArray();

        Assert.All(delays, d => Assert.InRange(d, Backoff.Floor, cap));
        Assert.Contains(delays, d => d > TimeSpan.FromSeconds(20)); // the cap, not 2^30 s, bounds it, and it is reached
        Assert.Equal(cap, backoff.Cap);
    }

    [Fact]
    public void Delay_AttemptFive_IsSpreadOverTheWholeRange()
    {
        var backoff = new Backoff(Base, TimeSpan.FromMinutes(5), new Random(7));
        var ceiling = TimeSpan.FromSeconds(32); // 1 s * 2^5, under the cap

        var delays = Enumerable.Range(0, 1000).Select(_ => backoff.Delay(5)).ToArray();

        Assert.True(delays.Distinct().Count() > 900, $"only {delays.Distinct().Count()} distinct delays in 1000");
        Assert.True(delays.Min() < ceiling * 0.25, $"shortest delay {delays.Min()}");
        Assert.True(delays.Max() > ceiling * 0.75, $"longest delay {delays.Max()}");
        Assert.All(delays, d => Assert.InRange(d, Backoff.Floor, ceiling));
    }

    [Fact]
    public void Delay_FirstAttempt_IsAtMostBase()
    {
        var backoff = new Backoff(Base, TimeSpan.FromSeconds(30), new Random(3));

        var delays = Enumerable.Range(0, 200).Select(_ => backoff.Delay(0)).ToArray();

        Assert.All(delays, d => Assert.InRange(d, Backoff.Floor, Base));
    }

    [Fact]
    public void Delay_JitterBelowFloor_IsFloor()
    {
        // A base far below the floor: every jittered value is under it, so every delay is the floor.
        var backoff = new Backoff(TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30), new Random(5));

        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(Backoff.Floor, backoff.Delay(0)));
    }
}

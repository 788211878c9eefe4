namespace Fleet.Agent.Session;

/// <summary>
/// Exponential backoff with full jitter: attempt n waits a random time in [0, min(cap, base * 2^n)],
/// at least <see cref="Floor"/>. Jitter spreads a herd of agents reconnecting to a restarted coordinator.
/// </summary>
public sealed class Backoff(TimeSpan baseDelay, TimeSpan cap, Random random)
{
    public static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(100);

    public TimeSpan Cap => cap;

    public TimeSpan Delay(int attempt)
    {
        var ceiling = Math.Min(cap.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        var jittered = random.NextDouble() * ceiling;
        return TimeSpan.FromMilliseconds(Math.Max(Floor.TotalMilliseconds, jittered));
    }
}

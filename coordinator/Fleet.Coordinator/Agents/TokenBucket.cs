namespace Fleet.Coordinator.Agents;

/// <summary>A token bucket: <c>capacity</c> events at once, then one per <c>refillEvery</c>. Thread-safe, O(1).</summary>
public sealed class TokenBucket(int capacity, TimeSpan refillEvery, TimeProvider time)
{
    private readonly Lock _gate = new();
    private double _tokens = capacity;
    private long _last = time.GetTimestamp();

    public bool TryTake()
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(capacity, _tokens + (time.GetElapsedTime(_last, now) / refillEvery));
            _last = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }
}

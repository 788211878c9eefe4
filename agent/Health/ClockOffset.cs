namespace Fleet.Agent.Health;

/// <summary>
/// The node clock's offset from the coordinator's, measured from the server time the coordinator
/// sends (Reconfigure, Ping). The transit time is not subtracted, so loopback-to-LAN precision.
/// </summary>
public sealed class ClockOffset(TimeProvider time)
{
    private readonly Lock _gate = new();
    private (TimeSpan Offset, DateTimeOffset MeasuredAt)? _last;

    public void Observe(DateTimeOffset serverTime)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            _last = (serverTime - now, now);
        }
    }

    public (TimeSpan Offset, DateTimeOffset MeasuredAt)? Last
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }
}

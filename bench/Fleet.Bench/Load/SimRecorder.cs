using System.Collections.Concurrent;

namespace Fleet.Bench.Load;

/// <summary>What the simulated agents saw, with <see cref="Clock"/> timestamps: thread-safe, append-only.</summary>
internal sealed class SimRecorder
{
    private long _heartbeats;
    private long _heartbeatsLate;
    private long _heartbeatMaxLateUs;
    private long _failures;

    /// <summary>Every TCP connection attempt (the start of a connect).</summary>
    public ConcurrentQueue<double> Attempts { get; } = new();

    /// <summary>Every session the coordinator accepted (its Reconfigure arrived).</summary>
    public ConcurrentQueue<double> Registrations { get; } = new();

    /// <summary>Every step request received: (step id, time).</summary>
    public ConcurrentQueue<(string Id, double At)> StepsReceived { get; } = new();

    public long Heartbeats => Interlocked.Read(ref _heartbeats);

    /// <summary>Heartbeats the load generator itself sent more than 100 ms after it meant to (it was short of CPU).</summary>
    public long HeartbeatsSentLate => Interlocked.Read(ref _heartbeatsLate);

    public double HeartbeatMaxSendDelayMs => Interlocked.Read(ref _heartbeatMaxLateUs) / 1000.0;

    public long Failures => Interlocked.Read(ref _failures);

    public void Attempt() => Attempts.Enqueue(Clock.NowMs);

    public void Registered() => Registrations.Enqueue(Clock.NowMs);

    public void Failed() => Interlocked.Increment(ref _failures);

    public void StepReceived(string id) => StepsReceived.Enqueue((id, Clock.NowMs));

    /// <param name="delayMs">How much later than planned the heartbeat left.</param>
    public void HeartbeatSent(double delayMs)
    {
        Interlocked.Increment(ref _heartbeats);
        if (delayMs > 100)
        {
            Interlocked.Increment(ref _heartbeatsLate);
        }

        var us = (long)(delayMs * 1000);
        long seen;
        while (us > (seen = Interlocked.Read(ref _heartbeatMaxLateUs)) && Interlocked.CompareExchange(ref _heartbeatMaxLateUs, us, seen) != seen)
        {
        }
    }

    public void ResetHeartbeatCounters()
    {
        Interlocked.Exchange(ref _heartbeats, 0);
        Interlocked.Exchange(ref _heartbeatsLate, 0);
        Interlocked.Exchange(ref _heartbeatMaxLateUs, 0);
    }
}

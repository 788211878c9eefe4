using System.Diagnostics;

namespace Fleet.Bench.Load;

/// <summary>One monotonic clock for every timestamp the load generator takes, in milliseconds since it started.</summary>
internal static class Clock
{
    private static readonly long Start = Stopwatch.GetTimestamp();

    public static double NowMs => Stopwatch.GetElapsedTime(Start).TotalMilliseconds;
}

using Fleet.V1;

namespace Fleet.Agent.Health;

/// <summary>Clock offset from the coordinator: warning from 1 s, failing from 30 s (certificates and tokens break).</summary>
public sealed class ClockCheck(ClockOffset clock) : INodeHealthCheck
{
    public string Name => "clock";

    public Task<HealthCheck> CheckAsync(CancellationToken ct)
    {
        if (clock.Last is not { } last)
        {
            return Task.FromResult(Check.Unknown(Name, "no coordinator time received yet"));
        }

        var seconds = Math.Abs(last.Offset.TotalSeconds);
        var reason = $"offset {last.Offset.TotalMilliseconds:+0;-0;0} ms from the coordinator";
        var status = seconds >= 30 ? HealthStatus.Failing : seconds >= 1 ? HealthStatus.Warning : HealthStatus.Ok;
        return Task.FromResult(Check.Of(Name, status, reason));
    }
}

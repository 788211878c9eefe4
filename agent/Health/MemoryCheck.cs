using Fleet.Agent.Facts;
using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Health;

/// <summary>MemAvailable against MemTotal from /proc/meminfo: warning under 10 %, failing under 5 %.</summary>
public sealed class MemoryCheck(HostPaths paths) : INodeHealthCheck
{
    public string Name => "memory";

    public Task<HealthCheck> CheckAsync(CancellationToken ct)
    {
        if (paths.TryReadText("/proc/meminfo") is not { } text)
        {
            return Task.FromResult(Check.Unknown(Name, "/proc/meminfo not readable"));
        }

        var info = ProcParsers.MemInfo(text);
        if (!info.TryGetValue("MemTotal", out var total) || total <= 0 || !info.TryGetValue("MemAvailable", out var available))
        {
            return Task.FromResult(Check.Unknown(Name, "/proc/meminfo has no MemTotal/MemAvailable"));
        }

        var fraction = (double)available / total;
        var reason = $"{Bytes.Human(available)} available of {Bytes.Human(total)} ({fraction * 100:0}%)";
        if (info.TryGetValue("SwapTotal", out var swapTotal) && swapTotal > 0 && info.TryGetValue("SwapFree", out var swapFree))
        {
            reason += $", swap {Bytes.Human(swapTotal - swapFree)} used";
        }

        return Task.FromResult(Check.ByFraction(Name, fraction, warnBelow: 0.10, failBelow: 0.05, reason));
    }
}

using Fleet.Agent.Facts;
using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Health;

/// <summary>The 5-minute load average per online CPU: warning at 2, failing at 4.</summary>
public sealed class LoadCheck(HostPaths paths) : INodeHealthCheck
{
    public string Name => "load";

    public Task<HealthCheck> CheckAsync(CancellationToken ct)
    {
        if (paths.TryReadText("/proc/loadavg") is not { } text || ProcParsers.LoadAvg(text) is not { } load)
        {
            return Task.FromResult(Check.Unknown(Name, "/proc/loadavg not readable"));
        }

        var cpus = paths.TryReadText("/sys/devices/system/cpu/online") is { } online ? ProcParsers.CpuListCount(online) : null;
        if (cpus is null)
        {
            return Task.FromResult(Check.Unknown(Name, $"load {load.One:0.00} {load.Five:0.00} {load.Fifteen:0.00}, CPU count not readable"));
        }

        var perCpu = load.Five / cpus.Value;
        var reason = $"load {load.One:0.00} {load.Five:0.00} {load.Fifteen:0.00} on {cpus} CPUs";
        var status = perCpu >= 4 ? HealthStatus.Failing : perCpu >= 2 ? HealthStatus.Warning : HealthStatus.Ok;
        return Task.FromResult(Check.Of(Name, status, reason));
    }
}

using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Health;

/// <summary>
/// The kubelet unit's state as systemd reports it. Where systemctl does not exist the state is
/// unknown: never "ok" without evidence.
/// </summary>
public sealed class KubeletCheck(AgentOptions options, IProcessRunner runner) : INodeHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public string Name => "kubelet";

    public async Task<HealthCheck> CheckAsync(CancellationToken ct)
    {
        if (ProgramPath.Find(options.SystemctlPath) is not { } systemctl)
        {
            return Check.Unknown(Name, ProgramPath.Describe(options.SystemctlPath));
        }

        ProcessResult result;
        try
        {
            result = await runner.RunAsync(systemctl, ["show", "kubelet.service", "--property=LoadState,ActiveState,SubState"], Timeout, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Check.Unknown(Name, $"systemctl failed: {ex.Message}");
        }

        var state = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        if (result.ExitCode != 0 || !state.TryGetValue("LoadState", out var load) || !state.TryGetValue("ActiveState", out var active))
        {
            return Check.Unknown(Name, $"systemctl show exited {result.ExitCode}: {result.StandardError.Trim()}");
        }

        var sub = state.GetValueOrDefault("SubState", "");
        var reason = $"kubelet.service {active} ({sub})";
        return (load, active) switch
        {
            ("not-found", _) => Check.Unknown(Name, "kubelet.service is not installed"),
            (_, "active") => Check.Ok(Name, reason),
            (_, "activating" or "reloading" or "deactivating") => Check.Warning(Name, reason),
            _ => Check.Failing(Name, reason),
        };
    }
}

using Fleet.Agent.Configuration;
using Fleet.Agent.Facts;
using Fleet.V1;

namespace Fleet.Agent.Health;

/// <summary>The required CNI plugins are present and executable in /opt/cni/bin.</summary>
public sealed class CniPluginsCheck(AgentOptions options, CniPlugins cni) : INodeHealthCheck
{
    public string Name => "cni-plugins";

    public Task<HealthCheck> CheckAsync(CancellationToken ct)
    {
        var present = cni.Present().ToHashSet(StringComparer.Ordinal);
        var missing = options.RequiredCniPlugins.Where(p => !present.Contains(p)).ToArray();
        return Task.FromResult(missing.Length == 0
            ? Check.Ok(Name, $"{string.Join(", ", options.RequiredCniPlugins)} present in {CniPlugins.Directory}")
            : Check.Failing(Name, $"missing from {CniPlugins.Directory}: {string.Join(", ", missing)}"));
    }
}

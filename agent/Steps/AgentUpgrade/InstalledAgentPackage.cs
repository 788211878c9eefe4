using System.ComponentModel;
using Fleet.Agent.Hosting;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// What dpkg says about the fleet-agent package: `dpkg-query -W -f '${Status} ${Version}' fleet-agent`.
/// dpkg is the truth about what is installed; the agent upgrades itself only where dpkg installed it.
/// </summary>
public sealed class InstalledAgentPackage(AgentUpgradeOptions options, IProcessRunner runner)
{
    /// <summary>Null when dpkg says "install ok installed <paramref name="version"/>"; otherwise what it said instead.</summary>
    public async Task<string?> ProblemAsync(string version, CancellationToken ct)
    {
        var said = await QueryAsync(ct);
        return said == $"install ok installed {version}" ? null : $"dpkg-query: {said}";
    }

    /// <summary>dpkg-query's answer, or its error, as one line.</summary>
    private async Task<string> QueryAsync(CancellationToken ct)
    {
        if (ProgramPath.Find(options.DpkgQueryPath) is not { } path)
        {
            return ProgramPath.Describe(options.DpkgQueryPath);
        }

        try
        {
            var result = await runner.RunAsync(path, ["-W", "-f", "${Status} ${Version}", "fleet-agent"], options.QueryTimeout, ct);
            var output = (result.ExitCode == 0 ? result.StandardOutput : result.StandardError).Trim();
            var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "";
            return result.ExitCode == 0 ? line : $"exit code {result.ExitCode}{(line.Length > 0 ? ": " + line : "")}";
        }
        catch (Exception ex) when (ex is TimeoutException or Win32Exception)
        {
            return ex.Message;
        }
    }
}

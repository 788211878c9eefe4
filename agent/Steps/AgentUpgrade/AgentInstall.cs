using System.Reflection;
using Fleet.Agent.Facts;
using Fleet.Agent.Hosting;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>How this agent is installed (NodeFacts.agent_install), and for a bare install its BASE.</summary>
/// <param name="Kind">"deb", "binary" or "" (neither).</param>
/// <param name="Base">For "binary": BASE, the folder of versions/ and current.</param>
/// <param name="Why">For "": why it is neither, for the refusal of an upgrade.</param>
public sealed record AgentInstallation(string Kind, string Base, string Why)
{
    public const string Deb = "deb";
    public const string Binary = "binary";
}

/// <summary>
/// Detects how the agent is installed (docs/agent-upgrades.md, "Agents installed without the package"),
/// from cheap file reads, no processes: "deb" when (under --root) /var/lib/dpkg/info/fleet-agent.list
/// lists the running program; "binary" when realpath(program) is BASE/versions/V/fleet-agent with V the
/// agent's own version, BASE/versions/V a real folder, and realpath(BASE/current) = BASE/versions/V;
/// otherwise "". <see cref="Current"/> is detected once, at the first ask (the Hello's facts).
/// </summary>
public sealed class AgentInstall(HostPaths paths, AgentUpgradeOptions options)
{
    public const string DpkgList = "/var/lib/dpkg/info/fleet-agent.list";

    private readonly Lazy<AgentInstallation> _current = new(() => Detect(paths, options.ProgramPath, options.RunningVersion));

    public AgentInstallation Current => _current.Value;

    /// <summary>The running program: the executable, or for the portable agent run by dotnet its fleet-agent.dll.</summary>
    public static string RunningProgram()
    {
        var process = Environment.ProcessPath ?? "";
        return Path.GetFileName(process) == "dotnet" && Assembly.GetEntryAssembly()?.GetName().Name is { Length: > 0 } name
            ? Path.Join(AppContext.BaseDirectory, name + ".dll")
            : process;
    }

    /// <summary>Detects it now (the handler asks again before it upgrades: the layout may have changed since the start).</summary>
    public static AgentInstallation Detect(HostPaths paths, string program, string version)
    {
        if (program.Length == 0)
        {
            return new("", "", "the running program's path is unknown");
        }

        if (paths.TryReadText(DpkgList) is { } list && list.Split('\n').Any(line => line == program))
        {
            return new(AgentInstallation.Deb, "", "");
        }

        var real = RealPath.Of(program) ?? program;
        var folder = Path.GetDirectoryName(real) ?? "";
        var versions = Path.GetDirectoryName(folder) ?? "";
        var layout = $"BASE/versions/{version}/fleet-agent";
        if (Path.GetFileName(real) != "fleet-agent" || Path.GetFileName(folder) != version || Path.GetFileName(versions) != "versions")
        {
            return new("", "", $"{paths.Resolve(DpkgList)} does not list {program}, and {real} is not {layout}");
        }

        // realpath resolved every link: a version folder that is a link leads elsewhere, and that place's
        // own current must point at it.
        var baseDir = Path.GetDirectoryName(versions) ?? "";

        var current = Path.Join(baseDir, "current");
        var currentReal = RealPath.Of(current);
        if (currentReal != folder)
        {
            return new("", "", currentReal is null ? $"{current} does not exist" : $"{current} points at {currentReal}, not at the running {folder}");
        }

        return new(AgentInstallation.Binary, baseDir, "");
    }
}

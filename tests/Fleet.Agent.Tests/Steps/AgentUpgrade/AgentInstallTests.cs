using Fleet.Agent.Steps.AgentUpgrade;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>
/// How the agent is installed (NodeFacts.agent_install), from a real file tree: dpkg's file list under
/// --root, a real BASE/versions layout with a real BASE/current symlink, and the running program's path.
/// </summary>
public sealed class AgentInstallTests : IDisposable
{
    private readonly FixtureRoot _root = new();
    private readonly string _base;

    public AgentInstallTests()
    {
        _base = _root.Resolve("/opt/fleet-agent");
        _root.Write("/opt/fleet-agent/versions/0.9.0/fleet-agent", "agent 0.9.0", FixtureRoot.Executable);
        _root.Write("/opt/fleet-agent/versions/0.8.0/fleet-agent", "agent 0.8.0", FixtureRoot.Executable);
        File.CreateSymbolicLink(Path.Join(_base, "current"), "versions/0.9.0");
    }

    [Fact]
    public void Detect_DpkgsListNamesTheRunningProgram_Deb()
    {
        _root.Write(AgentInstall.DpkgList, "/.\n/usr\n/usr/bin\n/usr/bin/fleet-agent\n/usr/lib/fleet-agent/fleet-agent-upgrade\n");

        var install = Detect("/usr/bin/fleet-agent", "0.9.0");

        Assert.Equal(new AgentInstallation("deb", "", ""), install);
    }

    [Fact]
    public void Detect_PortableAgentsDllInDpkgsList_Deb()
    {
        _root.Write(AgentInstall.DpkgList, "/usr/lib/fleet-agent/fleet-agent.dll\n");

        Assert.Equal("deb", Detect("/usr/lib/fleet-agent/fleet-agent.dll", "0.9.0").Kind);
    }

    [Fact]
    public void Detect_BareLayout_RunThroughCurrent_Binary_WithItsBase()
    {
        var install = Detect(Path.Join(_base, "current/fleet-agent"), "0.9.0");

        Assert.Equal(new AgentInstallation("binary", _base, ""), install);
    }

    [Fact]
    public void Detect_BareLayout_RunByItsVersionsPath_Binary()
    {
        Assert.Equal("binary", Detect(Path.Join(_base, "versions/0.9.0/fleet-agent"), "0.9.0").Kind);
    }

    [Fact]
    public void Detect_CurrentPointsAtAnotherVersion_Neither()
    {
        var install = Detect(Path.Join(_base, "versions/0.8.0/fleet-agent"), "0.8.0");

        Assert.Equal("", install.Kind);
        Assert.Equal($"{_base}/current points at {_base}/versions/0.9.0, not at the running {_base}/versions/0.8.0", install.Why);
    }

    [Fact]
    public void Detect_CurrentMissing_Neither()
    {
        File.Delete(Path.Join(_base, "current"));

        var install = Detect(Path.Join(_base, "versions/0.9.0/fleet-agent"), "0.9.0");

        Assert.Equal(new AgentInstallation("", "", $"{_base}/current does not exist"), install);
    }

    [Fact]
    public void Detect_ProgramIsOfAnotherVersionThanItReports_Neither()
    {
        var install = Detect(Path.Join(_base, "current/fleet-agent"), "0.9.1");

        Assert.Equal("", install.Kind);
        Assert.EndsWith($"{_base}/versions/0.9.0/fleet-agent is not BASE/versions/0.9.1/fleet-agent", install.Why);
    }

    [Fact]
    public void Detect_VersionFolderIsALinkToAnotherFolder_Neither()
    {
        // BASE/versions/0.9.1 -> /elsewhere/0.9.1: the running program resolves outside BASE/versions.
        _root.Write("/elsewhere/0.9.1/fleet-agent", "agent 0.9.1", FixtureRoot.Executable);
        Directory.CreateSymbolicLink(Path.Join(_base, "versions/0.9.1"), _root.Resolve("/elsewhere/0.9.1"));
        File.Delete(Path.Join(_base, "current"));
        File.CreateSymbolicLink(Path.Join(_base, "current"), "versions/0.9.1");

        var install = Detect(Path.Join(_base, "current/fleet-agent"), "0.9.1");

        Assert.Equal("", install.Kind);
        Assert.EndsWith($"{_root.Resolve("/elsewhere/0.9.1/fleet-agent")} is not BASE/versions/0.9.1/fleet-agent", install.Why);
    }

    [Fact]
    public void Detect_VersionFolderIsALinkInsideVersions_Neither()
    {
        // BASE/elsewhere/versions/0.9.1 reached through a link named like a version: the folder is not its own.
        _root.Write("/opt/fleet-agent/elsewhere/versions/0.9.1/fleet-agent", "agent 0.9.1", FixtureRoot.Executable);
        Directory.CreateSymbolicLink(Path.Join(_base, "versions/0.9.1"), Path.Join(_base, "elsewhere/versions/0.9.1"));
        File.Delete(Path.Join(_base, "current"));
        File.CreateSymbolicLink(Path.Join(_base, "current"), "versions/0.9.1");

        var install = Detect(Path.Join(_base, "current/fleet-agent"), "0.9.1");

        Assert.Equal("", install.Kind); // realpath is BASE/elsewhere/versions/0.9.1, and BASE/elsewhere/current does not exist
    }

    [Fact]
    public void Detect_NeitherPackageNorLayout_Neither()
    {
        _root.Write("/usr/local/bin/fleet-agent", "agent", FixtureRoot.Executable);
        _root.Write(AgentInstall.DpkgList, "/usr/bin/fleet-agent\n");

        var install = Detect(_root.Resolve("/usr/local/bin/fleet-agent"), "0.9.0");

        Assert.Equal("", install.Kind);
        Assert.StartsWith($"{_root.Resolve(AgentInstall.DpkgList)} does not list {_root.Resolve("/usr/local/bin/fleet-agent")}", install.Why);
    }

    [Fact]
    public void Detect_NoProgramPath_Neither()
    {
        Assert.Equal(new AgentInstallation("", "", "the running program's path is unknown"), Detect("", "0.9.0"));
    }

    [Fact]
    public void Current_IsDetectedOnce()
    {
        var options = new AgentUpgradeOptions { ProgramPath = Path.Join(_base, "current/fleet-agent"), RunningVersion = "0.9.0" };
        var install = new AgentInstall(_root.Paths(), options);

        Assert.Equal("binary", install.Current.Kind);
        File.Delete(Path.Join(_base, "current"));
        Assert.Equal("binary", install.Current.Kind); // detected at the start, as the Hello reports it
        Assert.Equal("", AgentInstall.Detect(_root.Paths(), options.ProgramPath, "0.9.0").Kind);
    }

    public void Dispose() => _root.Dispose();

    private AgentInstallation Detect(string program, string version) => AgentInstall.Detect(_root.Paths(), program, version);
}

using Fleet.Testing;

namespace Fleet.Agent.Tests.Hosting;

/// <summary>fleet-agent(1) is generated from the agent's command tree (`fleet-agent man`); the package installs the checked-in copy.</summary>
public sealed class AgentManPageTests
{
    [Fact]
    public async Task PackagedPage_IsWhatTheCommandTreeGenerates()
    {
        var page = await ManPages.GenerateAsync(Program.Root());

        Assert.Null(await ManPages.StalenessAsync(page, "packaging/debian/fleet-agent/fleet-agent.1", "fleet-agent man"));
    }

    [Fact]
    public async Task Page_HasEveryCommandAndSetting_AndGroffReadsItWithoutAWarning()
    {
        var page = await ManPages.GenerateAsync(Program.Root());

        Assert.StartsWith(".TH FLEET-AGENT 1", page, StringComparison.Ordinal);
        Assert.Contains(".SS fleet\\-agent enroll", page, StringComparison.Ordinal);
        Assert.Contains("\\fB\\-\\-token\\-file\\fR", page, StringComparison.Ordinal);
        Assert.All(Fleet.Agent.Configuration.AgentConfigLoader.EnvironmentHelp, e => Assert.Contains($".B {e.Variable}\n", page, StringComparison.Ordinal));
        Assert.Contains(".SH EXIT STATUS", page, StringComparison.Ordinal);
        Assert.Equal("", await ManPages.GroffWarningsAsync(page));
    }
}

using Fleet.Agent.Facts;
using Fleet.Agent.Hosting;
using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.Testing;

namespace Fleet.IntegrationTests.AgentUpgrade;

/// <summary>
/// The new agent's confirmation to the upgrade watchdog: a real agent, a real coordinator over mTLS;
/// the confirmation is written once the coordinator has accepted the Hello, and only for an upgrade
/// to the version this agent runs.
/// </summary>
public sealed class UpgradeConfirmationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Connect_PendingUpgradeToThisVersion_ConfirmedOnceTheHelloIsAccepted()
    {
        var (folder, agent, coordinator) = await StartAsync(FactsCollector.AgentVersion);
        await using (coordinator)
        await using (agent)
        {
            Assert.Equal(FactsCollector.AgentVersion + "\n", await File.ReadAllTextAsync(folder.ConfirmedFile));
        }
    }

    [Fact]
    public async Task Connect_PendingUpgradeToAnotherVersion_NotConfirmed()
    {
        var (folder, agent, coordinator) = await StartAsync("99.0.0");
        await using (coordinator)
        await using (agent)
        {
            Assert.False(File.Exists(folder.ConfirmedFile));
        }
    }

    /// <summary>An enrolled agent with a pending upgrade to <paramref name="to"/>, started and connected.</summary>
    private async Task<(UpgradeFolder Folder, TestAgent Agent, TestCoordinator Coordinator)> StartAsync(string to)
    {
        var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        var agent = new TestAgent("pi-1", coordinator.AgentUri, _dir.Combine("pi-1"));
        await agent.EnrollAsync(await coordinator.CreateTokenAsync(), coordinator.CaPin);
        var folder = new UpgradeFolder(new HostPaths(agent.Options));
        folder.WritePending(new PendingUpgrade("r7-abc-pi-1-0", "r7", "0.0.1", to, folder.PackageFile(to, "amd64"), folder.PackageFile("0.0.1", "amd64"), 120, 1_780_000_000));

        await agent.StartAsync();
        await Eventually.Until(() => agent.Logs.Events.Any(e => e.MessageTemplate.Text.StartsWith("Connected to the coordinator", StringComparison.Ordinal)), "the agent connects");
        return (folder, agent, coordinator);
    }
}

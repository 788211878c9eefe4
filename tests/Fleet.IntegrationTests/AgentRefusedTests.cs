using System.Diagnostics;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.IntegrationTests;

/// <summary>
/// An agent whose node was removed stops, as its own process, with the exit code the systemd unit does
/// not restart and a line that says what to do; an agent that meets any other failure keeps retrying.
/// </summary>
public sealed class AgentRefusedTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RemovedNode_TheAgentProcessExitsWithTheRefusalCode_AndSaysToEnrollAgain_AtEveryStart()
    {
        await using var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        var root = _dir.Combine("pi-1");
        await using (var enrolling = new TestAgent("pi-1", coordinator.AgentUri, root))
        {
            await enrolling.EnrollAsync(await coordinator.CreateTokenAsync(), coordinator.CaPin);
        }

        // Connected, then removed: the open stream ends and the process exits.
        var running = RunAgentAsync(coordinator.AgentUri, root);
        await Eventually.Until(() => coordinator.Service<Fleet.Coordinator.Agents.AgentRegistry>().Count == 1 || running.IsCompleted, "the agent process connects");
        Assert.False(running.IsCompleted, running.IsCompleted ? (await running).Output : "");
        using (var control = coordinator.ControlChannel())
        {
            await new ControlService.ControlServiceClient(control).RemoveNodeAsync(new RemoveNodeRequest { Name = "pi-1" }).ResponseAsync.DefaultTimeout();
        }

        var removed = await running;
        AssertStoppedForGood(removed, "not-enrolled");

        // Started again (by hand: systemd would not), its revoked certificate is refused at connect: the same.
        var again = await RunAgentAsync(coordinator.AgentUri, root);
        AssertStoppedForGood(again, "revoked");
        Assert.Single(again.Output.Split('\n'), l => l.Contains("refuses this node's certificate for good", StringComparison.Ordinal));
        Assert.DoesNotContain("retrying in", again.Output, StringComparison.Ordinal);
    }

    private static void AssertStoppedForGood(ProcessOutput run, string refusal)
    {
        Assert.True(run.Code == Fleet.Agent.Hosting.AgentExit.IdentityRefusedCode, $"exit code {run.Code}: {run.Output}");
        Assert.Contains($"refuses this node's certificate for good ({refusal})", run.Output, StringComparison.Ordinal);
        Assert.Contains("enroll the node again (fleetctl token create on the coordinator, then fleet-agent enroll here)", run.Output, StringComparison.Ordinal);
        Assert.Contains($"stopping with exit code {Fleet.Agent.Hosting.AgentExit.IdentityRefusedCode}", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CoordinatorDown_TheAgentProcessKeepsRetrying()
    {
        var root = _dir.Combine("pi-1");
        await using (var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path)))
        {
            await using var enrolling = new TestAgent("pi-1", coordinator.AgentUri, root);
            await enrolling.EnrollAsync(await coordinator.CreateTokenAsync(), coordinator.CaPin);
        }

        // The coordinator is gone: connection refused, attempt after attempt, and the process stays.
        var log = _dir.Combine("agent.log");
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "exec dotnet \"$@\" >>\"$FLEET_TEST_LOG\" 2>&1", "sh", AgentDll(), "--coordinator", $"https://127.0.0.1:{FreePort.Next()}", "--name", "pi-1", "--root", root, "--reconnect-cap", "300ms" })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FLEET_TEST_LOG"] = log;
        start.Environment.Remove("FLEET_COORDINATOR");
        using var agent = Process.Start(start)!;
        try
        {
            await Eventually.Until(() => Attempts(log) >= 3 || agent.HasExited, "three failed attempts are logged");
            Assert.False(agent.HasExited, File.ReadAllText(log));
        }
        finally
        {
            agent.Kill(entireProcessTree: true);
            await agent.WaitForExitAsync().DefaultTimeout();
        }

        Assert.DoesNotContain("for good", File.ReadAllText(log), StringComparison.Ordinal);
    }

    private static int Attempts(string log) =>
        File.Exists(log) ? File.ReadAllLines(log).Count(l => l.Contains("retrying in", StringComparison.Ordinal)) : 0;

    [Fact]
    public async Task PermissionDeniedWithoutTheRefusalTrailer_IsRetried()
    {
        // The node's Hello names another node than its certificate: PermissionDenied, but not a refusal of
        // the certificate (a setting to fix, then the same certificate works), so the agent keeps trying.
        await using var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        await using var agent = new TestAgent("pi-1", coordinator.AgentUri, _dir.Combine("pi-1"));
        await agent.EnrollAsync(await coordinator.CreateTokenAsync(), coordinator.CaPin);
        agent.Options.Name = "pi-2";
        agent.Options.ReconnectCap = TimeSpan.FromMilliseconds(200);

        await agent.StartAsync();
        await Eventually.Until(() => agent.Logs.Messages.Count(m => m.Contains("PermissionDenied", StringComparison.Ordinal)) >= 3, "three refused attempts are logged");

        Assert.Equal(0, agent.ExitCode);
        Assert.DoesNotContain(agent.Logs.Messages, m => m.Contains("for good", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Help_DocumentsTheExitCodes()
    {
        var help = await ProcessRun.RunAsync("dotnet", [AgentDll(), "--help"]);

        Assert.Equal(0, help.Code);
        Assert.Contains($"{Fleet.Agent.Hosting.AgentExit.IdentityRefusedCode} the coordinator refuses this node's certificate for good", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("2 bad settings or not enrolled", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemdUnit_DoesNotRestartOnTheRefusalCode()
    {
        var unit = await File.ReadAllLinesAsync(Path.Join(Repo.Root, "packaging", "systemd", "fleet-agent.service"));

        var prevent = Assert.Single(unit, l => l.StartsWith("RestartPreventExitStatus=", StringComparison.Ordinal));
        Assert.Contains(Fleet.Agent.Hosting.AgentExit.IdentityRefusedCode.ToString(System.Globalization.CultureInfo.InvariantCulture), prevent.Split('=')[1].Split(' '));
    }

    private static Task<ProcessOutput> RunAgentAsync(Uri coordinator, string root) =>
        ProcessRun.RunAsync("dotnet", [AgentDll(), "--coordinator", coordinator.ToString(), "--name", "pi-1", "--root", root], unset: "FLEET_COORDINATOR");

    private static string AgentDll() => Repo.BuildOutput("agent", "fleet-agent.dll");
}

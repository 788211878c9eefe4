using System.Diagnostics;
using Fleet.Testing;

namespace Fleet.IntegrationTests;

/// <summary>What the agent does when things are wrong around it.</summary>
public sealed class AgentFailureTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task UnreachableCoordinator_RetriesWithOneLinePerAttemptAndGrowingBackoff()
    {
        await using (var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path)))
        {
            await using var enrolled = new TestAgent("pi-1", coordinator.AgentUri, _dir.Combine("pi-1"));
            await enrolled.EnrollAsync(await coordinator.CreateTokenAsync(), coordinator.CaPin);
        }

        var nowhere = new Uri($"https://127.0.0.1:{FreePort.Next()}");
        await using var agent = new TestAgent("pi-1", nowhere, _dir.Combine("pi-1"));
        agent.Options.ReconnectCap = TimeSpan.FromMilliseconds(400);

        await agent.StartAsync();
        await Eventually.Until(() => Failures(agent).Count >= 4, "four failed attempts are logged");
        await agent.StopAsync();

        var failures = Failures(agent);
        Assert.Equal(Enumerable.Range(1, failures.Count), failures.Select(e => (int)(e.Properties["Attempt"] as Serilog.Events.ScalarValue)!.Value!));
        Assert.All(failures, e =>
        {
            Assert.Null(e.Exception); // one line, no stack trace
            Assert.Equal(Serilog.Events.LogEventLevel.Warning, e.Level);
            var message = e.RenderMessage();
            Assert.DoesNotContain('\n', message);
            Assert.Contains("Connection refused", message);
            var delay = (double)(e.Properties["DelaySeconds"] as Serilog.Events.ScalarValue)!.Value!;
            Assert.InRange(delay, 0.1, 0.4); // never above the cap
        });
    }

    private static List<Serilog.Events.LogEvent> Failures(TestAgent agent) =>
        agent.Logs.Events.Where(e => e.MessageTemplate.Text.StartsWith("Session with", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task NotEnrolled_RefusesToRunAndSaysToEnroll()
    {
        var (code, stderr) = await RunAgentProcessAsync("--coordinator", "https://127.0.0.1:7443", "--root", _dir.Path, "--name", "pi-1");

        Assert.True(code == 2, $"exit code {code}: {stderr}");
        Assert.StartsWith("fleet-agent: this node is not enrolled (", stderr);
        Assert.Contains("run `fleet-agent enroll --coordinator https://HOST:7443 --token ID.SECRET --ca-pin sha256:HEX` first", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task PlainHttpCoordinator_IsRefused()
    {
        var (code, stderr) = await RunAgentProcessAsync("--coordinator", "http://127.0.0.1:7443", "--root", _dir.Path);

        Assert.Equal(2, code);
        Assert.Contains("is not an https:// URL", stderr);
    }

    [Fact]
    public async Task GarbledConfigFile_ExitsWithTheFileAndTheProblemNotAStackTrace()
    {
        var config = _dir.Combine("agent.json");
        await File.WriteAllTextAsync(config, "{ \"coordinator\": \"https://127.0.0.1:7443\",\n  \"name\": \"pi-1\"\n  \"root\": \"/tmp\" }");

        var (code, stderr) = await RunAgentProcessAsync("--config", config);

        Assert.Equal(2, code);
        Assert.StartsWith($"fleet-agent: {config}: not valid JSON (line 3", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task UnknownSettingInConfigFile_IsNamed()
    {
        var config = _dir.Combine("agent.json");
        await File.WriteAllTextAsync(config, "{ \"cordinator\": \"https://127.0.0.1:7443\" }");

        var (code, stderr) = await RunAgentProcessAsync("--config", config);

        Assert.Equal(2, code);
        Assert.Contains("unknown setting \"cordinator\"", stderr);
    }

    /// <summary>
    /// fleet-agent.dll in the agent's own build output: this test folder also holds ASP.NET Core's
    /// assemblies (the coordinator's), which resolve differently from the agent's own.
    /// </summary>
    private static string AgentDll() => Repo.BuildOutput("agent", "fleet-agent.dll");

    [Fact]
    public async Task EnrollCommand_TokenAndPinFromTheEnvironment_StoresCredentialsAndPrintsNoSecret()
    {
        await using var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        var token = await coordinator.CreateTokenAsync(uses: 1);
        var root = _dir.Combine("pi-1");
        var environment = new Dictionary<string, string> { ["FLEET_TOKEN"] = token, ["FLEET_CA_PIN"] = coordinator.CaPin };

        var (code, stderr, stdout) = await RunAgentProcessWithOutputAsync(environment, "enroll", "--coordinator", coordinator.AgentUri.ToString(), "--name", "pi-1", "--root", root);

        Assert.True(code == 0, stderr);
        Assert.Contains("Enrolled as node", stdout);
        Assert.DoesNotContain(token[13..], stdout + stderr);
        foreach (var file in new[] { "node.key", "node.crt", "ca.crt" })
        {
            Assert.True(File.Exists(Path.Join(root, "var/lib/fleet-agent", file)), file);
        }

        // The token allowed one use: a second node is refused, in one line.
        var (again, againStderr, _) = await RunAgentProcessWithOutputAsync(environment, "enroll", "--coordinator", coordinator.AgentUri.ToString(), "--name", "pi-2", "--root", _dir.Combine("pi-2"));
        Assert.Equal(1, again);
        Assert.Equal($"fleet-agent: the coordinator refused the enrollment: Unauthenticated: join token {token[..12]} has been used as many times as it allows\n", againStderr);
    }

    [Fact]
    public async Task EnrollCommand_WithoutToken_SaysWhatIsMissing()
    {
        var (code, stderr) = await RunAgentProcessAsync("enroll", "--coordinator", "https://127.0.0.1:7443", "--root", _dir.Path);

        Assert.Equal(2, code);
        Assert.StartsWith("fleet-agent: enroll needs a token (--token-file FILE, --token - for standard input, or FLEET_TOKEN) and --ca-pin", stderr);
    }

    private const string ArgvWarning = "fleet-agent: warning: a token given with --token on the command line can be read by every local user";

    [Fact]
    public async Task EnrollCommand_TokenFromStandardInput_EnrollsWithoutAWarning()
    {
        await using var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        var token = await coordinator.CreateTokenAsync(uses: 1);

        var run = await ProcessRun.RunWithInputAsync("dotnet", [AgentDll(), "enroll", "--token", "-", "--ca-pin", coordinator.CaPin, "--coordinator", coordinator.AgentUri.ToString(), "--name", "pi-1", "--root", _dir.Combine("pi-1")], token + "\n", unset: "FLEET_COORDINATOR");

        Assert.True(run.Code == 0, run.Stderr);
        Assert.DoesNotContain("warning", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(token[13..], run.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Join(_dir.Combine("pi-1"), "var/lib/fleet-agent", "node.crt")));
    }

    [Fact]
    public async Task EnrollCommand_TokenOnTheCommandLine_WarnsFirst()
    {
        await using var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        var token = await coordinator.CreateTokenAsync(uses: 1);

        var (code, stderr, _) = await RunAgentProcessWithOutputAsync([], "enroll", "--token", token, "--ca-pin", coordinator.CaPin, "--coordinator", coordinator.AgentUri.ToString(), "--name", "pi-1", "--root", _dir.Combine("pi-1"));

        Assert.True(code == 0, stderr);
        Assert.StartsWith(ArgvWarning, stderr, StringComparison.Ordinal);
        Assert.Contains("use --token-file FILE (mode 0600) or --token - (standard input)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrollCommand_TokenInAPrivateConfigFile_IsRemovedFromItOnceEnrolled()
    {
        await using var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        var token = await coordinator.CreateTokenAsync(uses: 1);
        var config = _dir.Combine("agent.json");
        await File.WriteAllTextAsync(config, $"{{ \"coordinator\": \"{coordinator.AgentUri}\", \"token\": \"{token}\", \"caPin\": \"{coordinator.CaPin}\", \"name\": \"pi-1\" }}");
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var (code, stderr, _) = await RunAgentProcessWithOutputAsync([], "enroll", "--config", config, "--root", _dir.Combine("pi-1"));

        Assert.True(code == 0, stderr);
        Assert.Contains($"fleet-agent: enrolled; removed the join token from {config} (the node no longer needs it)", stderr, StringComparison.Ordinal);
        var left = await File.ReadAllTextAsync(config);
        Assert.DoesNotContain(token[13..], left, StringComparison.Ordinal);
        Assert.DoesNotContain("\"token\"", left, StringComparison.Ordinal);
        Assert.Contains(coordinator.CaPin, left, StringComparison.Ordinal); // the rest stays
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
    }

    [Fact]
    public async Task Agent_ConfigFileWithATokenReadableByOthers_IsRefusedAndNothingIsSent()
    {
        var config = _dir.Combine("agent.json");
        await File.WriteAllTextAsync(config, "{ \"coordinator\": \"https://127.0.0.1:7443\", \"token\": \"0123456789ab.0123456789abcdef0123456789abcdef0123456789abcdef\" }");
        File.SetUnixFileMode(config, (UnixFileMode)0x1A4);

        var (enroll, enrollStderr) = await RunAgentProcessAsync("enroll", "--config", config, "--ca-pin", "sha256:" + new string('a', 64), "--root", _dir.Path);
        var (run, runStderr) = await RunAgentProcessAsync("--config", config, "--root", _dir.Path);

        var expected = $"fleet-agent: {config}: holds a join token (\"token\") but may be read by others (mode 0644); chmod 600 {config}, or remove the token (enroll removes it once the node is enrolled)\n";
        Assert.Equal((2, expected), (enroll, enrollStderr));
        Assert.Equal((2, expected), (run, runStderr));
        Assert.False(Directory.Exists(Path.Join(_dir.Path, "var/lib/fleet-agent")));
    }

    [Fact]
    public async Task Agent_DuplicateLabelKey_ExitsWithAConfigErrorNotACrash()
    {
        var (code, stderr) = await RunAgentProcessAsync("--coordinator", "https://127.0.0.1:7443", "--root", _dir.Path, "--labels", "role=worker,role=control-plane");

        Assert.Equal(2, code);
        Assert.Equal("fleet-agent: flag --labels: the label key \"role\" is given twice (\"worker\" and \"control-plane\"); give each key once\n", stderr);
    }

    /// <summary>Runs the built fleet-agent as its own process, as systemd would.</summary>
    private static async Task<(int Code, string Stderr)> RunAgentProcessAsync(params string[] args)
    {
        var (code, stderr, _) = await RunAgentProcessWithOutputAsync(new Dictionary<string, string>(), args);
        return (code, stderr);
    }

    private static async Task<(int Code, string Stderr, string Stdout)> RunAgentProcessWithOutputAsync(Dictionary<string, string> environment, params string[] args)
    {
        var run = await ProcessRun.RunAsync("dotnet", [AgentDll(), .. args], environment, unset: "FLEET_COORDINATOR");
        return (run.Code, run.Stderr, run.Stdout);
    }
}

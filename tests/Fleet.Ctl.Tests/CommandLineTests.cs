namespace Fleet.Ctl.Tests;

/// <summary>fleetctl's usage surface in process, with no coordinator: exit codes, one message style, -o, input files, admin-cert files.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleetctl-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var environment = new Dictionary<string, string?> { ["HOME"] = _dir };
        var code = await FleetCtl.RunAsync([.. args, "--socket", Path.Join(_dir, "no-coordinator.sock")], stdout, stderr, environment).WaitAsync(TimeSpan.FromSeconds(30));
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("nodes list -o xml", "fleetctl: --output: \"xml\" is not an output format here (table, wide, json)")]
    [InlineData("nodes get x1 -o wide", "fleetctl: --output: \"wide\" is not an output format here (table, json)")]
    [InlineData("token create --ttl 5", "fleetctl: --ttl: \"5\" has no unit: write 5s, 5m, 5h or 5d")]
    [InlineData("token create --ttl 1x", "fleetctl: --ttl: \"1x\": \"x\" is not a unit (ms, s, m, h, d)")]
    [InlineData("run download --component kubectl --version v1.20.2 --dest /k --timeout 5", "fleetctl: --timeout: \"5\" has no unit: write 5s, 5m, 5h or 5d")]
    [InlineData("run download --component kubectl --version v1.20.2 --dest /k --label bad@key=v", "fleetctl: --label: ")]
    [InlineData("run install-cni --version v1.1.1 --label role", "fleetctl: --label: \"role\" is not key=value")]
    [InlineData("bogus", "fleetctl: Unrecognized command or argument 'bogus'.")]
    [InlineData("nodes get", "fleetctl: Required argument missing for command: 'get'.")]
    [InlineData("completion powershell", "fleetctl: Argument 'powershell' not recognized. Must be one of:")]
    [InlineData("catalog apply -f /", "fleetctl: -f: / is a folder; give a YAML file (or - for standard input)")]
    [InlineData("rollout plan -f /no/such/plan.yaml", "fleetctl: -f: /no/such/plan.yaml does not exist")]
    [InlineData("admin-cert create ../alice", "fleetctl: admin-cert create: \"../alice\" is not a name")]
    [InlineData("rollout logs r1 -f -o json", "fleetctl: --follow prints lines as they are written: use it without -o json")]
    [InlineData("admin-cert list -o yaml", "fleetctl: --output: \"yaml\" is not an output format here (table, wide, json)")]
    public async Task UsageErrors_ExitTwo_WithOneFleetctlPrefixedMessage(string args, string message)
    {
        var (code, stdout, stderr) = await RunAsync(args.Split(' '));

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.All(stderr.TrimEnd('\n').Split('\n'), l => Assert.StartsWith("fleetctl: ", l, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("JSON")]
    [InlineData("Json")]
    [InlineData("json")]
    [InlineData("WIDE")]
    [InlineData("Table")]
    public async Task Output_IsCaseInsensitive_AnAcceptedFormatReachesTheCall(string format)
    {
        var (code, _, stderr) = await RunAsync("nodes", "list", "-o", format);

        Assert.Equal(1, code); // parsed; the call fails for want of a coordinator
        Assert.StartsWith("fleetctl: cannot reach the coordinator", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ShowsTheFormatsAsTyped_AndTheExitCodes()
    {
        var list = await RunAsync("nodes", "list", "--help");
        var root = await RunAsync("--help");

        Assert.Contains("-o, --output <table|wide|json>", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Json|Table", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("Exit codes: 0 success; 1 the command failed", root.Stdout, StringComparison.Ordinal);
        Assert.Contains("2 usage error", root.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminCertCreate_RefusesToOverwriteAnExistingKey_BeforeAskingTheCoordinator()
    {
        var key = Path.Join(_dir, "alice.key");
        await File.WriteAllTextAsync(key, "the first key");

        var (code, _, stderr) = await RunAsync("admin-cert", "create", "alice", "--out", _dir);

        Assert.Equal(2, code);
        Assert.Equal($"fleetctl: {key} exists: refusing to overwrite an admin key or certificate (remove it, or choose another --out)\n", stderr);
        Assert.Equal("the first key", await File.ReadAllTextAsync(key));
    }

    [Fact]
    public async Task AdminCertCreate_IntoAFile_IsRefused()
    {
        var file = Path.Join(_dir, "a-file");
        await File.WriteAllTextAsync(file, "not a folder");

        var (code, _, stderr) = await RunAsync("admin-cert", "create", "alice", "--out", file);

        Assert.Equal((2, $"fleetctl: --out: {file} is a file, not a folder\n"), (code, stderr));
    }

    [Fact]
    public async Task NoCoordinator_IsAFailure_ExitOne()
    {
        var (code, stdout, stderr) = await RunAsync("rollout", "list");

        Assert.Equal((1, ""), (code, stdout));
        Assert.StartsWith("fleetctl: cannot reach the coordinator at ", stderr, StringComparison.Ordinal);
    }
}

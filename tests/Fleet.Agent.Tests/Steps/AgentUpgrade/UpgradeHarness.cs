using Fleet.Agent.Hosting;
using Fleet.Agent.Steps;
using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>
/// An agent's upgrade with everything real but what must not touch this machine: a state folder of
/// its own (the agent runs with --root / and --state-dir there), a real artifact server serving real
/// .debs, the real dpkg-deb, the real watchdog script of the checkout, and the doubles of
/// <see cref="UpgradeDoubles"/> for dpkg-query, dpkg, systemctl and systemd-run.
/// </summary>
internal sealed class UpgradeHarness : IAsyncDisposable
{
    public const string StepId = "r7-abc-node-1-0";
    public const string From = "0.9.0";
    public const string To = "0.9.1";

    private UpgradeHarness(ArtifactHarness artifacts)
    {
        Artifacts = artifacts;
        artifacts.Options.Root = "/";
        artifacts.Options.StateDir = artifacts.Root.Resolve("/var/lib/fleet-agent");
        artifacts.Options.SystemctlPath = Doubles.PathOf("systemctl");
        artifacts.Options.SystemdRunPath = Doubles.PathOf("systemd-run");
        Folder = new UpgradeFolder(new HostPaths(artifacts.Options));
    }

    public ArtifactHarness Artifacts { get; }

    public UpgradeDoubles Doubles { get; } = new();

    public UpgradeFolder Folder { get; }

    public string NewSha { get; private set; } = "";

    public string OldSha { get; private set; } = "";

    public static async Task<UpgradeHarness> StartAsync()
    {
        var h = new UpgradeHarness(await ArtifactHarness.StartAsync());
        h.NewSha = h.Artifacts.Serve("fleet-agent_0.9.1_amd64.deb", Debs.Build(version: To));
        h.OldSha = h.Artifacts.Serve("fleet-agent_0.9.0_amd64.deb", Debs.Build(version: From));
        h.Doubles.Installed(From);
        return h;
    }

    /// <summary>The handler of an agent that runs <paramref name="running"/> on an x86-64 node.</summary>
    public UpgradeAgentStepHandler Handler(string running = From, string? dpkgQuery = null, TimeSpan? poll = null, string? program = null, string? watchdogScript = null)
    {
        var upgrade = new AgentUpgradeOptions
        {
            WatchdogScript = watchdogScript ?? Path.Join(Repo.Root, "packaging/debian/fleet-agent/fleet-agent-upgrade"),
            DpkgQueryPath = dpkgQuery ?? Doubles.PathOf("dpkg-query"),
            RunningVersion = running,
            PollInterval = poll ?? TimeSpan.FromMilliseconds(50),
        };
        if (program is not null)
        {
            upgrade.ProgramPath = program;
        }

        var process = new StepProcess(TimeProvider.System, NullLogger<StepProcess>.Instance);
        var runner = new ProcessRunner();
        var cache = new AgentPackageCache(Folder, Artifacts.Downloader(), new PackageControlFields(process, upgrade), Artifacts.Options);
        return new UpgradeAgentStepHandler(
            Artifacts.Options, upgrade, Folder, cache, new BinaryAgentVersions(Artifacts.Downloader(), Artifacts.Options, ArtifactHarness.Arch("x86_64")), new InstalledAgentPackage(upgrade, runner),
            new UpgradeWatchdog(Artifacts.Options, upgrade, process, runner, Folder),
            new UpgradeConfirmation(Folder, upgrade, NullLogger<UpgradeConfirmation>.Instance),
            ArtifactHarness.Arch("x86_64"), new HostPaths(Artifacts.Options), TimeProvider.System, NullLogger<UpgradeAgentStepHandler>.Instance);
    }

    public AgentPackage Package(string version = To, string? name = null, string? sha = null, Arch arch = Arch.Amd64, long maxBytes = 0) => new()
    {
        Url = Artifacts.Server.Url($"/files/{name ?? $"fleet-agent_{version}_amd64.deb"}"),
        Sha256 = sha ?? (version == To ? NewSha : OldSha),
        Version = version,
        Arch = arch,
        MaxBytes = maxBytes,
    };

    public StepRequest Request(AgentPackage? package = null, AgentPackage? previous = null, int deadlineSeconds = 120, string id = StepId) => new()
    {
        Id = id,
        RolloutId = "r7",
        UpgradeAgent = new UpgradeAgentStep
        {
            Package = package ?? Package(),
            Previous = previous ?? Package(From),
            Deadline = Duration.FromTimeSpan(TimeSpan.FromSeconds(deadlineSeconds)),
        },
    };

    public Task<StepResult> RunAsync(StepRequest request, string running = From, CancellationToken ct = default) =>
        Handler(running).RunAsync(request, Artifacts.Progress(request.Id), ct);

    /// <summary>The package cache's files.</summary>
    public string[] Cached() => Directory.Exists(Folder.CacheDir) ? Directory.GetFiles(Folder.CacheDir).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray() : [];

    /// <summary>Waits (bounded) until the watchdog double's unit has ended.</summary>
    public async Task WatchdogEndedAsync()
    {
        await Eventually.Until(() => Doubles.Read("unit.state")?.Trim() == "inactive", "the watchdog unit ends");
    }

    public async ValueTask DisposeAsync()
    {
        Doubles.Dispose();
        await Artifacts.DisposeAsync();
    }
}

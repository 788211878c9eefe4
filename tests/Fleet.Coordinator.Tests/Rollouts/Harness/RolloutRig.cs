using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Kubernetes;
using Fleet.Coordinator.Metrics;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Rollouts.Gates;
using Fleet.Coordinator.Security;
using Fleet.Coordinator.Steps;
using Fleet.Coordinator.Storage;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;
using Fleet.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Coordinator.Tests.Rollouts.Harness;

/// <summary>
/// The rollout engine and driver wired as the coordinator wires them, in one process: a real SQLite store in a
/// temp folder, real preflight, a real <see cref="StepDispatcher"/> whose agents are <see cref="ScriptedAgent"/>s,
/// the recording Kubernetes double, and a <see cref="FakeTimeProvider"/> that only the test moves.
/// <see cref="RestartAsync"/> stops the engine and builds a new one (and a new dispatcher) over the same store.
/// </summary>
public sealed class RolloutRig : IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-29T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private readonly TempDir _dir = new();
    private readonly SqliteDatabase _database;
    private readonly SqliteNodeStore _nodes;
    private readonly Dictionary<string, ScriptedAgent> _agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _serials = new(StringComparer.Ordinal);
    private RolloutPreflight _preflight = null!;

    private RolloutRig(GateOptions? gateOptions)
    {
        GateOptions = gateOptions ?? new GateOptions();
        GateHttp = new GateHttp(GateOptions, Time);
        _database = new SqliteDatabase(_dir.Combine("fleet.db"));
        _nodes = new SqliteNodeStore(_database);
        Store = new SqliteRolloutStore(_database);
        Build();
    }

    public FakeTimeProvider Time { get; } = new(T0);

    /// <summary>The gates' bounds (strategy.gates); their HTTP client runs on <see cref="Time"/>.</summary>
    public GateOptions GateOptions { get; }

    public GateHttp GateHttp { get; }

    public RecordingKubernetesCluster Cluster { get; } = new();

    public IRolloutStore Store { get; }

    /// <summary>The SQLite file the store uses.</summary>
    public string DatabasePath => _database.Path;

    public AgentRegistry Registry { get; private set; } = null!;

    public StepDispatcher Dispatcher { get; private set; } = null!;

    public RolloutTransitions Transitions { get; private set; } = null!;

    public RolloutDriver Driver { get; private set; } = null!;

    public RolloutEngine Engine { get; private set; } = null!;

    public ScriptedAgent this[string node] => _agents[node];

    public IEnumerable<ScriptedAgent> Agents => _agents.Values;

    /// <summary>Connected, approved nodes (amd64, Kubernetes nodes at v1.12.0 of the same name) and, unless the test
    /// drives the driver itself (<paramref name="startEngine"/> false), a started engine.</summary>
    public static async Task<RolloutRig> StartAsync(string[] workers, string[]? controlPlanes = null, bool startEngine = true, GateOptions? gateOptions = null)
    {
        var rig = new RolloutRig(gateOptions);
        await rig._database.MigrateAsync(CancellationToken.None);
        foreach (var name in controlPlanes ?? [])
        {
            await rig.AddNodeAsync(name, controlPlane: true);
        }

        foreach (var name in workers)
        {
            await rig.AddNodeAsync(name, controlPlane: false);
        }

        if (startEngine)
        {
            await rig.Engine.StartAsync(CancellationToken.None);
        }

        return rig;
    }

    private async Task AddNodeAsync(string name, bool controlPlane)
    {
        var id = $"id-{name}";
        var serial = _serials[name] = $"5e{_agents.Count:00}";
        await new SqliteEnrollmentStore(_database).AddEnrollmentAsync(
            new EnrollmentRecord(id, name, true, "token", T0),
            new IssuedCertificate(serial, ClientSubject.NodeKind, name, id, T0, T0.AddDays(30), null),
            CancellationToken.None);
        await _nodes.UpsertHelloAsync(id, serial, new NodeFacts { NodeName = name, Arch = Arch.Amd64, RawMachine = "x86_64", AgentVersion = "0.1.0", AgentInstall = "deb" }, T0, CancellationToken.None);
        Cluster.AddNode(name, "v1.12.0", controlPlane);
        _agents[name] = new ScriptedAgent(id, name, Registry, Dispatcher);
    }

    /// <summary>The node says Hello again with this arch and agent version ("" for none), as a reconnecting agent would.</summary>
    public async Task SetFactsAsync(string name, Arch arch, string agentVersion, string agentInstall = "deb")
    {
        var agent = _agents[name];
        var raw = arch switch { Arch.Arm64 => "aarch64", Arch.Arm => "armv7l", _ => "x86_64" };
        await _nodes.UpsertHelloAsync(agent.NodeId, _serials[name], new NodeFacts { NodeName = name, Arch = arch, RawMachine = raw, AgentVersion = agentVersion, AgentInstall = agentInstall }, T0, CancellationToken.None);
    }

    /// <summary>Stores a catalog as `fleetctl catalog apply` does (the parser checks it first).</summary>
    public async Task ApplyCatalogAsync(string yaml)
    {
        var (catalog, problems) = CatalogParser.Parse(yaml);
        Assert.True(catalog is not null, string.Join("; ", problems));
        await new SqliteCatalogStore(_database).AddAsync(yaml, Time.GetUtcNow(), CancellationToken.None);
    }

    /// <summary>Every agent answers every step with success.</summary>
    public void AllSucceed()
    {
        foreach (var agent in _agents.Values)
        {
            agent.Answer = _ => StepOutcome.Succeeded;
        }
    }

    /// <summary>Applies a plan; fails the test with preflight's problems if it is refused.</summary>
    public async Task<string> ApplyAsync(string yaml)
    {
        var (view, problems) = await Engine.ApplyAsync(yaml, CancellationToken.None).DefaultTimeout();
        Assert.True(view is not null, $"refused: {string.Join("; ", problems)}");
        return view.Id;
    }

    /// <summary>A rollout stored as apply stores it (after the real preflight), for a test to drive with <see cref="Driver"/> itself.</summary>
    public async Task<RolloutRun> CreateRunAsync(string yaml)
    {
        var (plan, parseProblems) = PlanParser.Parse(yaml);
        Assert.True(plan is not null, string.Join("; ", parseProblems));
        var (prepared, problems) = await _preflight.PrepareAsync(plan, CancellationToken.None);
        Assert.True(prepared is not null, $"refused: {string.Join("; ", problems)}");
        var id = await Store.CreateAsync(prepared, "n0nce", Time.GetUtcNow(), CancellationToken.None);
        return new RolloutRun((await Store.GetAsync(id, CancellationToken.None))!, Time);
    }

    /// <summary>The run the engine drives.</summary>
    public RolloutRun Run(string id) => Engine.Live(id) ?? throw new InvalidOperationException($"no live rollout {id}");

    /// <summary>The first snapshot, from now on, for which <paramref name="done"/> holds (read from the rollout's watch, never by polling).</summary>
    public Task<Rollout> WaitForAsync(string id, Func<Rollout, bool> done, string what) => WaitForAsync(Run(id), done, what);

    public static async Task<Rollout> WaitForAsync(RolloutRun run, Func<Rollout, bool> done, string what)
    {
        using var cancel = new CancellationTokenSource();
        var reader = run.Watch(cancel.Token);
        try
        {
            return await Task.Run(async () =>
            {
                Rollout? last = null;
                await foreach (var e in reader.ReadAllAsync())
                {
                    if (e.Snapshot is { } snapshot)
                    {
                        last = snapshot;
                        if (done(snapshot))
                        {
                            return snapshot;
                        }
                    }
                }

                throw new InvalidOperationException($"the watch ended before {what}; last seen: {last}");
            }).DefaultTimeout();
        }
        finally
        {
            await cancel.CancelAsync();
        }
    }

    public Task<Rollout> WaitForStateAsync(string id, RolloutState state) => WaitForStateAsync(Run(id), state);

    public static Task<Rollout> WaitForStateAsync(RolloutRun run, RolloutState state) =>
        WaitForAsync(run, r => r.State == state, $"the rollout is {state.ToName()}");

    /// <summary>A log line of the rollout, already written or to come (lines are stored before they are published).</summary>
    public Task<RolloutLogLine> WaitForLogAsync(string id, Func<RolloutLogLine, bool> match, string what) => WaitForLogAsync(Run(id), match, what);

    public async Task<RolloutLogLine> WaitForLogAsync(RolloutRun run, Func<RolloutLogLine, bool> match, string what)
    {
        using var cancel = new CancellationTokenSource();
        var reader = run.Watch(cancel.Token);
        try
        {
            await foreach (var line in Store.LogsAsync(run.Id, null, CancellationToken.None))
            {
                if (match(line))
                {
                    return line;
                }
            }

            return await Task.Run(async () =>
            {
                await foreach (var e in reader.ReadAllAsync())
                {
                    if (e.Log is { } line && match(line))
                    {
                        return line;
                    }
                }

                throw new InvalidOperationException($"the watch ended before the log said {what}");
            }).DefaultTimeout();
        }
        finally
        {
            await cancel.CancelAsync();
        }
    }

    public async Task<List<RolloutLogLine>> LogsAsync(string id)
    {
        var lines = new List<RolloutLogLine>();
        await foreach (var line in Store.LogsAsync(id, null, CancellationToken.None))
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>A stored rollout, as a restarted coordinator would read it.</summary>
    public async Task<Rollout> StoredAsync(string id) => (await Store.GetAsync(id, CancellationToken.None))!.View;

    /// <summary>The coordinator stops (its drivers stop waiting, steps stay running on their nodes) and starts again
    /// over the same store: a new engine, dispatcher and registry, to which every agent reconnects.</summary>
    public async Task RestartAsync()
    {
        await Engine.StopAsync(CancellationToken.None).DefaultTimeout();
        Engine.Dispose();
        Build();
        foreach (var agent in _agents.Values)
        {
            agent.Connect(Registry, Dispatcher);
        }

        await Engine.StartAsync(CancellationToken.None);
    }

    private void Build()
    {
        Registry = new AgentRegistry();
        var metrics = new FleetMetrics(_nodes, new NodeStatusPolicy(new CoordinatorOptions(), Time));
        Dispatcher = new StepDispatcher(Registry, new AgentLimits(), metrics);
        Transitions = new RolloutTransitions(Store, Time);
        var gates = new GateChecker(Transitions, new NodesReadyGateCheck(Cluster), new PrometheusGateCheck(GateHttp, GateOptions, Time), new HttpGateCheck(GateHttp), Time, NullLogger<GateChecker>.Instance);
        Driver = new RolloutDriver(new StepExecutor(Dispatcher, Cluster), Transitions, Cluster, gates, Time, NullLogger<RolloutDriver>.Instance);
        var preflight = _preflight = new RolloutPreflight(_nodes, new SqliteCatalogStore(_database), new TargetChecks(Registry, Store), Cluster, new KubeNodeMap(new KubeNodeMapStore(_database)), new Fleet.Coordinator.Notifications.WebhookSecrets(_dir.Combine("webhook-secrets")));
        Engine = new RolloutEngine(Store, preflight, Driver, Transitions, Time, NullLogger<RolloutEngine>.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None).DefaultTimeout();
        Engine.Dispose();
        GateHttp.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

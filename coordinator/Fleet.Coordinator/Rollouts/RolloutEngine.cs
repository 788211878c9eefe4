using System.Collections.Concurrent;
using System.Security.Cryptography;
using Fleet.Coordinator.Hosting;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// Owns the rollouts: resumes unfinished ones at start, applies new ones after preflight, and carries the
/// operator's pause, resume and abort. Each rollout is driven by one task at a time.
/// </summary>
public sealed class RolloutEngine(RolloutStore store, RolloutPreflight preflight, RolloutDriver driver, TimeProvider time, ILogger<RolloutEngine> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, RolloutRun> _runs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private CancellationToken _stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        foreach (var id in await store.ActiveIdsAsync(stoppingToken))
        {
            var run = await LoadAsync(id, stoppingToken);
            if (run.Read(v => v.State) is RolloutState.Running or RolloutState.Aborting)
            {
                CoordinatorLog.RolloutAction(logger, id, "resumed after a restart", run.Plan.Recipe.Describe(), run.Nodes.Count);
                await driver.LogAsync(run, "", "info", "the coordinator restarted: resuming where the rollout stopped", stoppingToken);
                Drive(run);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var drivers = _runs.Values.Select(r => r.Driver).OfType<Task>().ToArray();
        await Task.WhenAll(drivers).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>A dry run: the batches and each node's resolved steps, or every problem.</summary>
    public async Task<(Rollout? View, List<string> Problems)> PlanAsync(string yaml, CancellationToken ct)
    {
        var (prepared, problems) = await PrepareAsync(yaml, ct);
        return prepared is null ? (null, problems) : (View(prepared), problems);
    }

    public async Task<(Rollout? View, List<string> Problems)> ApplyAsync(string yaml, CancellationToken ct)
    {
        var (plan, problems) = PlanParser.Parse(yaml);
        if (plan is null)
        {
            return (null, problems.ToList());
        }

        var (run, applyProblems) = await ApplyAsync(plan, ct);
        return (run?.Snapshot(), applyProblems);
    }

    /// <summary>
    /// Preflight, store and drive a parsed plan (a YAML plan, or `fleetctl run`'s one-step plan): the live run,
    /// or every problem. <see cref="RolloutPlan.Yaml"/> must parse back to <paramref name="plan"/>: a restarted
    /// coordinator resumes from it.
    /// </summary>
    public async Task<(RolloutRun? Run, List<string> Problems)> ApplyAsync(RolloutPlan plan, CancellationToken ct)
    {
        await _applyGate.WaitAsync(ct); // two applies at once must not both pass the "held by another rollout" check
        try
        {
            var (prepared, problems) = await preflight.PrepareAsync(plan, ct);
            if (prepared is null)
            {
                return (null, problems);
            }

            var id = await store.CreateAsync(prepared, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), time.GetUtcNow(), ct);
            var run = await LoadAsync(id, ct);
            CoordinatorLog.RolloutAction(logger, id, "applied", prepared.Plan.Recipe.Describe(), prepared.Nodes.Count);
            await driver.LogAsync(run, "", "info", $"applied: {prepared.Plan.Recipe.Describe()} on {prepared.Nodes.Count} node(s) in {prepared.Batches.Count} batch(es)", ct);
            Drive(run);
            return (run, problems);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    public async Task<Rollout?> GetAsync(string id, CancellationToken ct) =>
        _runs.TryGetValue(id, out var run) ? run.Snapshot() : (await store.GetAsync(id, ct))?.View;

    public Task<List<Rollout>> ListAsync(CancellationToken ct) => store.ListAsync(ct);

    public IAsyncEnumerable<RolloutLogLine> LogsAsync(string id, string? node, CancellationToken ct) => store.LogsAsync(id, node, ct);

    /// <summary>The live run when the rollout is unfinished, else null (its stored view is final).</summary>
    public RolloutRun? Live(string id) => _runs.GetValueOrDefault(id);

    public async Task<Rollout> PauseAsync(string id, CancellationToken ct)
    {
        var run = Active(id);
        if (run.Read(v => v.State) != RolloutState.Running)
        {
            throw new RolloutStateException($"rollout {id} is {run.Read(v => v.State).ToName()}, not running");
        }

        run.PauseRequested = true;
        await driver.LogAsync(run, "", "info", "pause requested: nodes in progress finish their steps; no new node starts", ct);
        return run.Snapshot();
    }

    public async Task<Rollout> ResumeAsync(string id, CancellationToken ct)
    {
        var run = Active(id);
        var state = run.Read(v => v.State);
        if (state == RolloutState.Running && run.PauseRequested)
        {
            run.PauseRequested = false; // not paused yet: take the request back
            return run.Snapshot();
        }

        if (state != RolloutState.Paused || run.Driver is { IsCompleted: false })
        {
            throw new RolloutStateException($"rollout {id} is {state.ToName()}, not paused");
        }

        // Failed nodes retry from their failed step; what succeeded is never run again.
        foreach (var node in run.Read(v => v.Nodes.Where(n => n.State == RolloutNodeState.Failed).Select(n => (n.Name, Step: n.Steps.FirstOrDefault(s => s.State == RolloutStepState.Failed))).ToList()))
        {
            if (node.Step is not null)
            {
                await store.RetryStepAsync(id, node.Name, node.Step.Index, ct);
            }

            var cordoned = run.Read(v => run.Node(v, node.Name).CordonedByFleet);
            await store.SetNodeAsync(id, node.Name, RolloutNodeState.Pending, "", cordoned, ct);
            run.Change(v =>
            {
                var n = run.Node(v, node.Name);
                n.State = RolloutNodeState.Pending;
                n.Error = "";
                if (node.Step is not null)
                {
                    var step = n.Steps[node.Step.Index];
                    step.State = RolloutStepState.Pending;
                    step.Reason = "";
                    step.StepId = step.StepId.Length == 0 ? "" : StepIds.Retry(step.StepId);
                }
            });
        }

        run.PauseRequested = false;
        run.ResetAbort();
        await store.SetRolloutAsync(id, RolloutState.Running, "", time.GetUtcNow(), ct);
        run.Change(v =>
        {
            v.State = RolloutState.Running;
            v.Reason = "";
        });
        await driver.LogAsync(run, "", "info", "resumed by the operator", ct);
        Drive(run);
        return run.Snapshot();
    }

    public async Task<Rollout> AbortAsync(string id, CancellationToken ct)
    {
        var run = Active(id);
        var state = run.Read(v => v.State);
        if (state == RolloutState.Aborting)
        {
            return run.Snapshot();
        }

        await store.SetRolloutAsync(id, RolloutState.Aborting, "aborted by the operator", time.GetUtcNow(), ct);
        run.Change(v =>
        {
            v.State = RolloutState.Aborting;
            v.Reason = "aborted by the operator";
        });
        await driver.LogAsync(run, "", "warn", "abort requested: cancelling steps in flight", ct);
        run.RequestAbort();
        if (run.Driver is { } running)
        {
            await running.WaitAsync(ct); // a driver in flight sees the abort and finishes it
        }

        if (!run.Read(v => v.State).IsFinished())
        {
            Drive(run); // nothing was driving it (paused), or its driver stopped just before the abort
            await run.Driver!.WaitAsync(ct);
        }

        return run.Snapshot();
    }

    private RolloutRun Active(string id) =>
        _runs.TryGetValue(id, out var run) && !run.Read(v => v.State).IsFinished()
            ? run
            : throw new RolloutStateException(_runs.ContainsKey(id) ? $"rollout {id} has finished" : $"no unfinished rollout {id} (fleetctl rollout list)");

    private async Task<(PreparedRollout? Prepared, List<string> Problems)> PrepareAsync(string yaml, CancellationToken ct)
    {
        var (plan, problems) = PlanParser.Parse(yaml);
        return plan is null ? (null, problems.ToList()) : await preflight.PrepareAsync(plan, ct);
    }

    private async Task<RolloutRun> LoadAsync(string id, CancellationToken ct)
    {
        var stored = await store.GetAsync(id, ct) ?? throw new InvalidOperationException($"rollout {id} vanished from the store");
        var run = new RolloutRun(stored, time);
        run.Change(v => v.CurrentBatch = stored.Batches.FirstOrDefault(b => b.Nodes.Any(n => !run.Node(v, n).State.IsFinished()))?.Number ?? stored.Batches.Count);
        _runs[id] = run;
        return run;
    }

    /// <summary>Starts a driver; the previous one must have finished. An abort requested before stays requested.</summary>
    private void Drive(RolloutRun run)
    {
        run.Driver = Task.Run(() => driver.DriveAsync(run, _stopping), CancellationToken.None);
    }

    private static Rollout View(PreparedRollout prepared)
    {
        var view = new Rollout
        {
            Name = prepared.Plan.Name, Recipe = prepared.Plan.Recipe.Describe(), BatchCount = prepared.Batches.Count, PlanYaml = prepared.Plan.Yaml,
            Strategy = StrategySummary.From(prepared.Plan.Strategy),
        };
        var batchOf = prepared.Batches.SelectMany(b => b.Nodes.Select(n => (n, b.Number))).ToDictionary(x => x.n, x => x.Number, StringComparer.Ordinal);
        foreach (var node in prepared.Nodes.OrderBy(n => batchOf[n.Node.Name]).ThenBy(n => n.Node.Name, StringComparer.Ordinal))
        {
            var v = new RolloutNode { Name = node.Node.Name, Arch = node.Node.Facts.Arch, Batch = batchOf[node.Node.Name], State = RolloutNodeState.Pending };
            v.Steps.AddRange(node.Steps.Select((s, i) => s.ToView(i)));
            view.Nodes.Add(v);
        }

        return view;
    }
}

/// <summary>The rollout is not in a state where the operator's request applies.</summary>
public sealed class RolloutStateException(string message) : Exception(message);

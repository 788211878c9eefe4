using System.Collections.Concurrent;
using System.Security.Cryptography;
using Fleet.Coordinator.Hosting;
using Fleet.V1;

namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// Owns the rollouts: resumes unfinished ones at start, applies new ones after preflight, and carries the
/// operator's pause, resume and abort. Each rollout is driven by one task at a time. Every change of state goes
/// through <see cref="RolloutTransitions"/>.
/// </summary>
public sealed class RolloutEngine(IRolloutStore store, RolloutPreflight preflight, RolloutDriver driver, RolloutTransitions transitions, TimeProvider time, ILogger<RolloutEngine> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, RolloutRun> _runs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously); // the unfinished rollouts are loaded
    private readonly CancellationTokenSource _stopping = new(); // its own, not ExecuteAsync's: an apply may come before ExecuteAsync runs

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Under the apply gate: a rollout applied while this runs is either resumed here or driven by its apply, never both.
        await _applyGate.WaitAsync(stoppingToken);
        try
        {
            foreach (var id in await store.ActiveIdsAsync(stoppingToken))
            {
                if (_runs.ContainsKey(id))
                {
                    continue; // applied after this start, already driven
                }

                var run = await LoadAsync(id, stoppingToken);
                if (run.Read(v => v.State) is RolloutState.Running or RolloutState.Aborting)
                {
                    CoordinatorLog.RolloutAction(logger, id, "resumed after a restart", run.Plan.Recipe.Describe(), run.Nodes.Count);
                    await transitions.LogAsync(run, "", "info", "the coordinator restarted: resuming where the rollout stopped", stoppingToken);
                    Drive(run);
                }
            }
        }
        finally
        {
            _applyGate.Release();
            _loaded.TrySetResult();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        var drivers = _runs.Values.Select(r => r.Driver).OfType<Task>().ToArray();
        await Task.WhenAll(drivers).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public override void Dispose()
    {
        _stopping.Dispose();
        base.Dispose();
    }

    /// <summary>A dry run: the batches and each node's resolved steps, or every problem.</summary>
    public async Task<(Rollout? View, List<string> Problems)> PlanAsync(string yaml, CancellationToken ct)
    {
        var (prepared, problems) = await PrepareAsync(yaml, ct);
        return prepared is null ? (null, problems) : (View(prepared), problems);
    }

    /// <summary>A dry run of a parsed plan (`rollout rollback --dry-run`).</summary>
    public async Task<(Rollout? View, List<string> Problems)> PlanAsync(RolloutPlan plan, CancellationToken ct)
    {
        var (prepared, problems) = await preflight.PrepareAsync(plan, ct);
        return prepared is null ? (null, problems) : (View(prepared), problems);
    }

    /// <summary>A line in the rollout's log (a caller's own, such as `rollout rollback`'s list of the nodes it left out).</summary>
    public Task LogAsync(RolloutRun run, string level, string message, CancellationToken ct) => transitions.LogAsync(run, "", level, message, ct);

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
            await transitions.LogAsync(run, "", "info", $"applied: {prepared.Plan.Recipe.Describe()} on {prepared.Nodes.Count} node(s) in {prepared.Batches.Count} batch(es)", ct);
            await transitions.AnnounceAsync(run, RolloutAnnouncement.Started, $"started: {prepared.Plan.Recipe.Describe()} on {prepared.Nodes.Count} node(s) in {prepared.Batches.Count} batch(es)", ct);
            if (prepared.SkippedDisconnected.Count > 0)
            {
                await transitions.LogAsync(run, "", "warn", $"skipped, not connected (target.skipDisconnected): {string.Join(", ", prepared.SkippedDisconnected)}", ct);
            }

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

    public async Task<List<Rollout>> ListAsync(CancellationToken ct)
    {
        var list = await store.ListAsync(ct);
        foreach (var r in list)
        {
            r.WindowWait = Live(r.Id)?.Read(v => v.WindowWait) ?? ""; // derived, not stored: from the live run
        }

        return list;
    }

    public IAsyncEnumerable<RolloutLogLine> LogsAsync(string id, string? node, CancellationToken ct) => store.LogsAsync(id, node, ct);

    /// <summary>`rollout logs -f`: the lines written so far, then each new one, until the rollout finishes (RolloutLogFollower).</summary>
    public IAsyncEnumerable<RolloutLogLine> FollowLogsAsync(string id, string? node, CancellationToken ct) =>
        RolloutLogFollower.FollowAsync(id, node, Live, store, time, ct);

    /// <summary>The live run when the rollout is unfinished, else null (its stored view is final).</summary>
    public RolloutRun? Live(string id) => _runs.GetValueOrDefault(id);

    public Task<Rollout> PauseAsync(string id, CancellationToken ct) => RequestAsync(id, run => PauseAsync(run, ct), ct);

    private async Task<Rollout> PauseAsync(RolloutRun run, CancellationToken ct)
    {
        var id = run.Id;
        if (run.Read(v => v.State) != RolloutState.Running)
        {
            throw new RolloutStateException($"rollout {id} is {run.Read(v => v.State).ToName()}, not running");
        }

        run.RequestPause();
        await transitions.LogAsync(run, "", "info", "pause requested: nodes in progress finish their steps; no new node starts; a wait between batches ends now", ct);
        return run.Snapshot();
    }

    public Task<Rollout> ResumeAsync(string id, CancellationToken ct) => RequestAsync(id, run => ResumeAsync(run, ct), ct);

    private async Task<Rollout> ResumeAsync(RolloutRun run, CancellationToken ct)
    {
        var id = run.Id;
        var state = run.Read(v => v.State);
        if (state == RolloutState.Running && run.PauseRequested)
        {
            run.ClearPause(); // not paused yet: take the request back
            return run.Snapshot();
        }

        if (state != RolloutState.Paused)
        {
            throw new RolloutStateException($"rollout {id} is {state.ToName()}, not paused");
        }

        if (run.Driver is { IsCompleted: false } pausing)
        {
            await pausing.WaitAsync(ct); // it has stored "paused" and is ending: a resume as soon as a watch shows it is not refused
        }

        // Failed nodes retry from their failed step; what succeeded is never run again.
        foreach (var node in run.Read(v => v.Nodes.Where(n => n.State == RolloutNodeState.Failed).Select(n => n.Name).ToList()))
        {
            await transitions.RetryNodeAsync(run, node, ct);
        }

        run.ClearPause();
        run.ResetAbort();
        await transitions.SetStateAsync(run, RolloutState.Running, "", ct);
        await transitions.LogAsync(run, "", "info", "resumed by the operator", ct);
        Drive(run);
        return run.Snapshot();
    }

    public async Task<Rollout> AbortAsync(string id, CancellationToken ct)
    {
        var live = await ActiveAsync(id, ct);
        if (live.Read(v => v.State) == RolloutState.Aborting)
        {
            return live.Snapshot(); // already being aborted: no need to wait for that abort's turn
        }

        return await RequestAsync(id, run => AbortAsync(run, ct), ct);
    }

    private async Task<Rollout> AbortAsync(RolloutRun run, CancellationToken ct)
    {
        if (run.Read(v => v.State) == RolloutState.Aborting)
        {
            return run.Snapshot();
        }

        await transitions.SetStateAsync(run, RolloutState.Aborting, "aborted by the operator", ct);
        await transitions.LogAsync(run, "", "warn", "abort requested: cancelling steps in flight", ct);
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

    /// <summary>
    /// One operator request at a time per rollout: a resume and an abort at once must not interleave (the resume
    /// would clear the abort, or both would start a driver). Each request sees the state the previous one left; a
    /// rollout that finished meanwhile is refused.
    /// </summary>
    private async Task<Rollout> RequestAsync(string id, Func<RolloutRun, Task<Rollout>> request, CancellationToken ct)
    {
        var run = await ActiveAsync(id, ct);
        await run.Requests.WaitAsync(ct);
        try
        {
            return await request(Active(id));
        }
        finally
        {
            run.Requests.Release();
        }
    }

    /// <summary>An unfinished rollout; after a restart, once the engine has loaded them (a request right after a start
    /// must not be told the rollout does not exist).</summary>
    private async Task<RolloutRun> ActiveAsync(string id, CancellationToken ct)
    {
        await _loaded.Task.WaitAsync(ct);
        return Active(id);
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
        RolloutTransitions.SetCurrentBatch(run, run.Read(v => stored.Batches.FirstOrDefault(b => b.Nodes.Any(n => RolloutPhases.NeedsRun(run.Node(v, n), b.Phase)))?.Number ?? stored.Batches.Count));
        _runs[id] = run;
        return run;
    }

    /// <summary>Starts a driver; the previous one must have finished. An abort requested before stays requested.</summary>
    private void Drive(RolloutRun run)
    {
        run.Driver = Task.Run(() => driver.DriveAsync(run, _stopping.Token), CancellationToken.None);
    }

    private static Rollout View(PreparedRollout prepared)
    {
        var view = new Rollout
        {
            Name = prepared.Plan.Name, Recipe = prepared.Plan.Recipe.Describe(), BatchCount = prepared.Batches.Count, PlanYaml = prepared.Plan.Yaml,
            Strategy = StrategySummary.From(prepared.Plan),
            SkippedDisconnected = { prepared.SkippedDisconnected },
        };
        var batchOf = Batches.FirstOf(prepared.Batches);
        RolloutPhases.Fill(view, prepared.Batches);
        foreach (var node in prepared.Nodes.OrderBy(n => batchOf[n.Node.Name]).ThenBy(n => n.Node.Name, StringComparer.Ordinal))
        {
            var v = new RolloutNode { Name = node.Node.Name, Arch = node.Node.Facts.Arch, Batch = batchOf[node.Node.Name], State = RolloutNodeState.Pending, FromVersion = node.FromVersion, ToVersion = node.ToVersion };
            v.Steps.AddRange(node.Steps.Select((s, i) => s.ToView(i)));
            view.Nodes.Add(v);
        }

        return view;
    }
}

/// <summary>The rollout is not in a state where the operator's request applies.</summary>
public sealed class RolloutStateException(string message) : Exception(message);
